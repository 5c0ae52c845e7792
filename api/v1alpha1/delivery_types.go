package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// OutputApply says where an output is delivered besides its Secret.
type OutputApply struct {
	// Postgres runs the output's SQL upsert in the app's PostgreSQL database.
	Postgres *PostgresApply `json:"postgres"`
}

// PostgresApply names the connection to the app's database.
type PostgresApply struct {
	// SecretName of a Secret in this namespace holding the connection: host, port, database,
	// user (or username), password, sslmode (default verify-full) and an optional CA (ca.crt);
	// see docs/openg2p.md for every accepted key.
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`
	SecretName string `json:"secretName"`
}

// WorkloadReference names a Deployment or StatefulSet in the relying party's namespace.
type WorkloadReference struct {
	// +kubebuilder:validation:Enum=Deployment;StatefulSet
	Kind string `json:"kind"`
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`
	Name string `json:"name"`
}

// AppliedStatus is where and when an output's row was last written into a database.
type AppliedStatus struct {
	// Hash of the content applied.
	Hash string `json:"hash"`
	// RowHash fingerprints the row as the operator left it; another value later means the row
	// was changed or deleted by hand, and it is applied again.
	RowHash string `json:"rowHash"`
	// Host, Port, Database and Table it was applied to.
	Host     string `json:"host"`
	Port     int32  `json:"port"`
	Database string `json:"database"`
	Table    string `json:"table"`
	// At is when it was applied.
	At metav1.Time `json:"at"`
}

// RolledOutStatus is a workload restarted for an output's content.
type RolledOutStatus struct {
	Kind string `json:"kind"`
	Name string `json:"name"`
	// Hash of the output content the workload's pod template was annotated with.
	Hash string `json:"hash"`
}

// Delivery reasons.
const (
	ConditionApplied = "Applied"

	ReasonApplied           = "Applied"
	ReasonNothingToApply    = "NothingToApply"
	ReasonWorkloadNotFound  = "WorkloadNotFound"
	ReasonDatabaseSecret    = "DatabaseSecretInvalid"
	ReasonDatabaseBusy      = "DatabaseBusy"
	EventApplied            = "Applied"
	EventRolledOut          = "RolledOut"
	AnnotationRolloutPrefix = "rollout.esignet.openg2p.org/"
)
