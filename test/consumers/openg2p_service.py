"""Start OpenG2P's own FastAPI login service from the published packages.

Wired exactly as OpenG2P's services wire it (openg2p-spar-self-service-api's
main.py and app.py): an Initializer subclassing openg2p-fastapi-common's
(FastAPI app, logging, the asyncpg database engine), then openg2p-fastapi-auth's
Initializer, which mounts its AuthController (/auth/getLoginProviders,
/auth/getLoginProviderRedirect/{id}, /auth/profile, /auth/logout) and its
OAuthController (/oauth2/callback). migrate creates the login_providers table
from the package's own ORM model, as SPAR's migrate does.

Usage (run with the interpreter of the venv hack/openg2p-venv.sh builds):

  openg2p_service.py migrate       create the tables, then exit
  openg2p_service.py serve         serve on the listening socket passed as fd 3
  openg2p_service.py versions      print the installed distributions as JSON
  openg2p_service.py schemas       validate the authorization_parameters object on stdin with
                                   OauthProviderParameters of openg2p-fastapi-auth (the login
                                   flow's) and of openg2p-fastapi-auth-models 1.1.4+; print,
                                   per schema, the failing fields (location and error type only:
                                   never an input value, which may hold the key)

Every setting comes from the environment, under the packages' own prefix
COMMON_ (COMMON_DB_DATASOURCE, COMMON_AUTH_DEFAULT_ISSUERS, ...). Nothing of
OpenG2P's code is copied or patched here.
"""

import asyncio
import json
import sys


def _initializers():
    # The packages' import order: each module registers its Settings on import.
    from openg2p_fastapi_auth.app import Initializer as AuthInitializer
    from openg2p_fastapi_auth.models.orm.login_provider import LoginProvider
    from openg2p_fastapi_common.app import Initializer as BaseInitializer

    class Initializer(BaseInitializer):
        def migrate_database(self, args):
            super().migrate_database(args)
            asyncio.run(LoginProvider.create_migrate())

    main_init = Initializer()
    AuthInitializer()
    return main_init


def _versions():
    from importlib import metadata

    names = ["openg2p-fastapi-common", "openg2p-fastapi-auth", "openg2p-fastapi-auth-models",
             "python-jose", "cryptography", "fastapi", "uvicorn", "SQLAlchemy", "asyncpg", "httpx",
             "pydantic"]
    out = {}
    for n in names:
        try:
            out[n] = metadata.version(n)
        except metadata.PackageNotFoundError:
            pass
    out["python"] = sys.version.split()[0]
    return out


def _schemas(params):
    import importlib

    from pydantic import ValidationError

    out = {}
    for dist, module in (("openg2p_fastapi_auth", "openg2p_fastapi_auth.models.provider_auth_parameters"),
                         ("openg2p_fastapi_auth_models", "openg2p_fastapi_auth_models.schemas")):
        try:
            model = importlib.import_module(module).OauthProviderParameters
        except ImportError:
            continue  # not in this package set
        try:
            m = model.model_validate(params)
            out[dist] = {"ok": True, "client_assertion_type": m.client_assertion_type.name,
                         "ignored": sorted(set(params) - set(type(m).model_fields))}
        except ValidationError as exc:
            out[dist] = {"ok": False, "errors": sorted(
                "%s: %s" % (".".join(str(x) for x in e["loc"]), e["type"]) for e in exc.errors())}
    return out


def main(argv):
    if len(argv) != 2 or argv[1] not in ("migrate", "serve", "versions", "schemas"):
        sys.stderr.write(__doc__)
        return 2
    if argv[1] == "versions":
        json.dump(_versions(), sys.stdout, sort_keys=True)
        sys.stdout.write("\n")
        return 0
    if argv[1] == "schemas":
        json.dump(_schemas(json.load(sys.stdin)), sys.stdout, sort_keys=True)
        sys.stdout.write("\n")
        return 0
    main_init = _initializers()
    if argv[1] == "migrate":
        main_init.migrate_database(None)
        return 0
    import socket

    import uvicorn

    # fd 3 is a socket the test bound to 127.0.0.1 (so its port, which the redirect URI names,
    # cannot be taken meanwhile); socket(fileno=) detects its family.
    server = uvicorn.Server(uvicorn.Config(main_init.return_app(), access_log=False, log_level="warning"))
    server.run(sockets=[socket.socket(fileno=3)])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
