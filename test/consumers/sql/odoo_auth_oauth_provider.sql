-- Odoo 17 table auth_oauth_provider as the ORM creates it when the base module
-- auth_oauth and OpenG2P's g2p_auth_oidc, g2p_auth_id_oidc and g2p_portal_auth are
-- installed (Social Registry / PBMS 1.x; the PBMS beneficiary portal API reads the
-- same table). Written from the models' field declarations; no code copied.
--
-- Sources read:
--   odoo/odoo, branch 17.0, addons/auth_oauth/models/auth_oauth.py
--     (exact commit not resolvable from the indexed copy; fields as in 16.0/17.0:
--      _order 'sequence, name', body translate=True, sequence default 10)
--   OpenG2P/openg2p-registry, branch 17.0-develop @ ff779ec3d9e811cefed8e9795d8cf79803a0e132
--     (2024-10-17; branch 17.0-1.4 @ 56bd637 has identical model files):
--     g2p_auth_oidc/models/auth_oauth_provider.py
--     g2p_auth_id_oidc/models/g2p_auth_id_oidc_provider.py, g2p_auth_id_oidc/models/g2p_reg_id.py
--     g2p_portal_auth/models/auth_oauth_provider.py
--     g2p_registry_base/models/reg_id.py (model g2p.id.type)
--   Branch 17.0-1.3 @ b538b13 lacks enable_pkce (PKCE always on there).
--
-- Odoo ORM conventions used: id SERIAL primary key; create_uid/write_uid integer
-- FKs to res_users ON DELETE SET NULL, create_date/write_date timestamp without
-- time zone; Char -> varchar, Text -> text, Boolean -> boolean, Integer -> integer,
-- Selection -> varchar, Binary(attachment=False) -> bytea, translatable Char ->
-- jsonb ({"en_US": "..."}), Many2one -> integer FK ON DELETE SET NULL (the default
-- for a non-required many2one); required=True -> NOT NULL.
--
-- DEFAULTS: Odoo applies field defaults in Python and creates NO column DEFAULT.
-- A row inserted with SQL must therefore set every value the ORM would have
-- defaulted; the ORM default is noted beside each column.
--
-- UNIQUE CONSTRAINTS: none besides the primary keys. auth.oauth.provider has no
-- _sql_constraints, so neither client_id nor name is unique: an idempotent SQL
-- upsert cannot use ON CONFLICT and must UPDATE ... WHERE <its key> and
-- INSERT ... WHERE NOT EXISTS (...).
--
-- Omitted: the many2many signup_default_groups (relation table
-- auth_oauth_provider_res_groups_rel(auth_oauth_provider_id, res_groups_id),
-- needs res_groups) and res_users' own oauth_* columns.

-- Minimal stand-ins for the tables the FKs point at, with the rows a fresh
-- Odoo database has (base.user_root = 1, base.user_admin = 2, base.main_company = 1).
CREATE TABLE res_users (
    id serial NOT NULL,
    login varchar NOT NULL,
    PRIMARY KEY (id),
    CONSTRAINT res_users_login_key UNIQUE (login)
);
INSERT INTO res_users (id, login) VALUES (1, '__system__'), (2, 'admin');
SELECT setval('res_users_id_seq', 2);

CREATE TABLE res_company (
    id serial NOT NULL,
    name varchar NOT NULL,
    PRIMARY KEY (id)
);
INSERT INTO res_company (id, name) VALUES (1, 'YourCompany');
SELECT setval('res_company_id_seq', 1);

-- g2p.id.type (g2p_registry_base) plus auth_oauth_provider_id (g2p_auth_id_oidc).
-- Its name check (case-insensitive uniqueness) is a Python constraint only.
CREATE TABLE g2p_id_type (
    id serial NOT NULL,
    name varchar,
    id_validation varchar,
    auth_oauth_provider_id integer,          -- FK added below (tables reference each other)
    create_uid integer REFERENCES res_users (id) ON DELETE SET NULL,
    create_date timestamp without time zone,
    write_uid integer REFERENCES res_users (id) ON DELETE SET NULL,
    write_date timestamp without time zone,
    PRIMARY KEY (id)
);

CREATE TABLE auth_oauth_provider (
    id serial NOT NULL,
    -- auth_oauth (base)
    name varchar NOT NULL,
    client_id varchar,
    auth_endpoint varchar NOT NULL,
    scope varchar,                           -- ORM default 'openid profile email'
    validation_endpoint varchar,             -- "UserInfo URL"; required in base, required=False in g2p_auth_oidc
    data_endpoint varchar,
    enabled boolean,                         -- "Allowed"
    css_class varchar,                       -- ORM default 'fa fa-fw fa-sign-in text-primary'
    body jsonb NOT NULL,                     -- login button label, translatable: {"en_US": "..."}
    sequence integer,                        -- ORM default 10
    -- g2p_auth_oidc
    flow varchar NOT NULL,                   -- oauth2 | oidc_implicit | oidc_auth_code; ORM default 'oauth2'
    image_icon_url text,
    token_endpoint varchar,
    jwks_uri varchar,
    jwt_assertion_aud varchar,               -- blank -> token_endpoint is the assertion aud
    client_authentication_method varchar NOT NULL, -- client_secret_basic | client_secret_post | private_key_jwt | none; ORM default 'client_secret_post'
    client_secret varchar,
    client_private_key bytea,                -- the uploaded file's base64 text; the app b64decodes it to a PEM
    enable_pkce boolean,                     -- ORM default true
    code_verifier varchar,                   -- ORM default secrets.token_urlsafe(32), one per record
    token_map varchar,                       -- ORM default 'sub:user_id name:name email:email phone_number:phone birthdate:birthdate gender:gender address:address picture:picture groups:groups'
    extra_authorize_params text,             -- JSON object merged into the authorize query
    verify_at_hash boolean,                  -- ORM default true
    date_format varchar,                     -- ORM default '%Y/%m/%d'
    allow_signup varchar,                    -- yes | no | system_default; ORM default 'yes'
    sync_user_groups varchar,                -- on_login | on_reset | never; ORM default 'on_reset'
    company_id integer REFERENCES res_company (id) ON DELETE SET NULL, -- ORM default the current company
    -- g2p_auth_id_oidc
    g2p_id_type integer REFERENCES g2p_id_type (id) ON DELETE SET NULL,
    -- g2p_portal_auth
    g2p_self_service_allowed boolean,        -- ORM default false
    g2p_service_provider_allowed boolean,    -- ORM default false
    g2p_portal_oauth_callback_url varchar,
    -- log access columns
    create_uid integer REFERENCES res_users (id) ON DELETE SET NULL,
    create_date timestamp without time zone,
    write_uid integer REFERENCES res_users (id) ON DELETE SET NULL,
    write_date timestamp without time zone,
    PRIMARY KEY (id)
);

ALTER TABLE g2p_id_type
    ADD FOREIGN KEY (auth_oauth_provider_id) REFERENCES auth_oauth_provider (id) ON DELETE SET NULL;
