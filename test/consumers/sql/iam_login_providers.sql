-- openg2p-iam-service (gen 2) table login_providers in database iam, as the apps'
-- "migrate" step (SQLAlchemy metadata.create_all for this one table) creates it.
-- Written from the model declaration; no code copied.
--
-- Sources read:
--   OpenG2P/openg2p-iam-service, branch develop @ 2b3b8afe1dea259d1aacb78b1de604a61bb141fb
--     (2026-05-07; tag 1.1.0 identical for these files):
--     iam-core/src/iam_core/models/login_provider.py
--     iam-core/src/iam_core/schemas/provider_auth_parameters.py (enum TokenEndpointAuthMethod)
--     iam-core/src/iam_core/user_auth/helpers/client_assertion_helper.py (client_private_key use)
--   OpenG2P/openg2p-fastapi-common @ e5a813c4ab4f2c26466838dc5f42d1ac8f3c6df2
--     openg2p-fastapi-common/src/openg2p_fastapi_common/models.py (BaseORMModelWithTimes:
--     active, created_at, updated_at; the IAM Dockerfiles install branch 1.1)
--
-- SQLAlchemy 2.0 mapping rules used: nullable as declared; String -> varchar;
-- LargeBinary -> bytea; Boolean -> boolean; DateTime() -> timestamp without time
-- zone; a single Integer primary key -> SERIAL; Enum(PythonEnum) -> a native
-- PostgreSQL ENUM named after the class in lower case, holding the member NAMES.
--
-- DEFAULTS: none on the server. created_at/updated_at are Python-side defaults and
-- active has none, so a row inserted with SQL must set provider_name, client_id,
-- token_endpoint_auth_method, issuer, oauth_callback_url, active and created_at.
--
-- UNIQUE CONSTRAINTS: only the primary key (id). Neither client_id nor issuer is
-- unique, although the app picks the provider for a token by issuer (first match).
--
-- VERSION DRIFT: branch 1.0 (@ 2ca36cf0) had neither the client_private_key column
-- nor the 'private_key_jwt' enum value. create_all skips existing tables and types,
-- so a database first migrated by 1.0 keeps that older shape after an upgrade.

CREATE TYPE tokenendpointauthmethod AS ENUM (
    'private_key_jwt',
    'private_key_jwt_keymanager',
    'client_secret_basic',
    'client_secret_post'
);

CREATE TABLE login_providers (
    id serial NOT NULL,
    provider_name varchar NOT NULL,
    description varchar,
    icon_base64 varchar,
    client_id varchar NOT NULL,
    client_secret varchar,
    client_private_key bytea,                -- PEM bytes; decoded UTF-8 and passed to jose.jwt.encode
    token_endpoint_auth_method tokenendpointauthmethod NOT NULL,
    keymanager_app_id varchar,
    keymanager_ref_id varchar,
    authorization_endpoint varchar,
    userinfo_endpoint varchar,
    token_endpoint varchar,
    server_metadata_url varchar,
    adapter_name varchar,                    -- 'esignet' for eSignet
    jwks_uri varchar,
    jwt_assertion_aud varchar,               -- blank -> token_endpoint is the assertion aud
    scope varchar,
    enable_pkce boolean,
    extra_authorize_params varchar,          -- JSON text
    issuer varchar NOT NULL,                 -- must equal the ID token's iss exactly
    audiences varchar,                       -- JSON-encoded list
    oauth_callback_url varchar NOT NULL,
    default_redirect_uri varchar,
    active boolean NOT NULL,
    created_at timestamp without time zone NOT NULL,
    updated_at timestamp without time zone,
    PRIMARY KEY (id)
);
