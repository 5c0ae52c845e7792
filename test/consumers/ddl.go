package consumers

import (
	"embed"
	"fmt"
)

// Consumers whose tables TableDDL knows.
const (
	ConsumerOdoo        = "odoo"         // Odoo 17 auth_oauth_provider (+ g2p_id_type, res_company, res_users stand-ins)
	ConsumerFastAPIAuth = "fastapi-auth" // openg2p-fastapi-auth 1.x login_providers (+ SPAR strategy)
	ConsumerIAM         = "iam"          // openg2p-iam-service login_providers
)

// Consumers lists the keys of TableDDL, for table-driven tests.
var Consumers = []string{ConsumerOdoo, ConsumerFastAPIAuth, ConsumerIAM}

//go:embed sql/*.sql
var ddlFiles embed.FS

var ddlFile = map[string]string{
	ConsumerOdoo:        "sql/odoo_auth_oauth_provider.sql",
	ConsumerFastAPIAuth: "sql/fastapi_auth_login_providers.sql",
	ConsumerIAM:         "sql/iam_login_providers.sql",
}

// TableDDL returns the SQL script creating a consumer's tables as the
// consumer's own code creates them (see the header of each file under sql/
// for the sources read). It panics on an unknown consumer.
func TableDDL(consumer string) string {
	name, ok := ddlFile[consumer]
	if !ok {
		panic(fmt.Sprintf("consumers: no DDL for consumer %q", consumer))
	}
	b, err := ddlFiles.ReadFile(name)
	if err != nil {
		panic(fmt.Sprintf("consumers: embedded %s: %v", name, err))
	}
	return string(b)
}
