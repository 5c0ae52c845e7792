-- openg2p-fastapi-auth 1.x table login_providers as SQLAlchemy's create_all makes it
-- for the SPAR self-service API (which adds strategy_id by subclassing the model:
-- single-table inheritance, so the column lands in the same table). Written from
-- the model declarations; no code copied.
--
-- Sources read:
--   OpenG2P/openg2p-fastapi-common, branch develop @ 3aef2322 (2024-03-26):
--     openg2p-fastapi-auth/src/openg2p_fastapi_auth/models/orm/login_provider.py
--     openg2p-fastapi-common/src/openg2p_fastapi_common/models.py
--       (BaseORMModelWithId / BaseORMModelWithTimes; same column semantics in the
--        later openg2p-fastapi-common @ e5a813c4 read for the IAM service)
--   OpenG2P/openg2p-spar-self-service, branch develop @ 891d64ff2c53fd7b4793ee4c7582463d97e95cf2
--     (1.0 and 1.1.0 identical for these files):
--     openg2p-spar-self-service-api/src/openg2p_spar_self_service_api/models/login_provider.py
--     openg2p-spar-self-service-api/src/openg2p_spar_self_service_api/models/strategy.py
--     db_scripts/1.0.0/dml/01.data.sql (its INSERT column order matches the order below)
--
-- SQLAlchemy 2.0 mapping rules used: Mapped[T] without Optional -> NOT NULL;
-- String() -> varchar; JSON() -> json (not jsonb); DateTime() -> timestamp without
-- time zone; a single Integer primary key -> SERIAL; Enum(PythonEnum) -> a native
-- PostgreSQL ENUM named after the class in lower case, holding the member NAMES;
-- ForeignKey without ondelete -> NO ACTION.
--
-- DEFAULTS: created_at/updated_at (utcnow) and authorization_parameters ({}) are
-- Python-side defaults: there is NO server DEFAULT, and active has no default at
-- all. A row inserted with SQL must set name, type, authorization_parameters,
-- created_at and active.
--
-- UNIQUE CONSTRAINTS: only the primary key (id). name is not unique. SPAR's seed
-- inserts id 1 explicitly with ON CONFLICT DO NOTHING (conflict on the primary key)
-- and does not advance login_providers_id_seq.

CREATE TYPE loginprovidertypes AS ENUM ('oauth2_auth_code');

-- SPAR's strategy table (models/strategy.py), the target of strategy_id.
CREATE TABLE strategy (
    description varchar NOT NULL,
    strategy_type varchar NOT NULL,
    deconstruct_strategy varchar NOT NULL,
    construct_strategy varchar NOT NULL,
    created_at timestamp without time zone NOT NULL,
    updated_at timestamp without time zone,
    id serial NOT NULL,
    active boolean NOT NULL,
    PRIMARY KEY (id)
);

CREATE TABLE login_providers (
    name varchar NOT NULL,
    type loginprovidertypes NOT NULL,
    description varchar,
    login_button_text varchar,
    login_button_image_url varchar,
    authorization_parameters json NOT NULL,  -- OauthProviderParameters; client_assertion_jwk is a JWK object
    created_at timestamp without time zone NOT NULL,
    updated_at timestamp without time zone,
    id serial NOT NULL,
    active boolean NOT NULL,
    strategy_id integer REFERENCES strategy (id), -- SPAR only (nullable)
    PRIMARY KEY (id)
);
