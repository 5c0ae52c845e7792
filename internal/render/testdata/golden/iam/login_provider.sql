-- openg2p-iam-service login_providers row for eSignet client openg2p-social-registry, rendered by esignet-operator.
-- Idempotent: it updates the row with this client_id or inserts one.
BEGIN;
LOCK TABLE login_providers IN SHARE ROW EXCLUSIVE MODE;
UPDATE login_providers SET
  provider_name = 'eSignet',
  description = 'eSignet client openg2p-social-registry',
  client_id = 'openg2p-social-registry',
  client_private_key = convert_to('-----BEGIN PRIVATE KEY-----
MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQDIE2lOjbN2ov2/
b6uyeu3ZFJEl9S0Yea8Bqmx9+oSNRF4I7iih5sQErxnjlweKf+UtkLEYu0dMSFw4
yK0U54Ccjnb+SzSNsU1uE7U1icedlltLy6oiuomd/DpQ94/Tef9xBJbLoJSBn6AZ
TlysHkzHS4IYhjHKAemdP8vWld12NxgkzdkxZ2FYwYmPSHBKDaDuTJ2dG8xyMX3Z
sCMVsKi/4OJW7KSgRAocLai37lh+VDMP+pOcK2T3f4YGX7XLi9nETo9eOySn6wKb
StUtnxnvovBHoe9b98hyxfBpusxTFGqoJqR96pfivw6e94VvxohSSr2XO6qSG7zs
6ndB+661AgMBAAECggEACbD7BF2TyFbb0LaRjAstUzsOTtbh8NIQGpYNPEryub8K
iQc0O6dobkunBuGtcVWBnePo2ChWK0lEAlIiJCWUksDJ3cZ5zLU+aWsV93pti2IZ
mQHMA3Oir97kWkCrnFRH/cr5nPJxzxeS0zb7ATFUicDME/EIH19ZWA8bihDnUc8C
Ux9r8SSY7XS6QQQf6ItbnoPi5/ini7APwC6K2w5yzhXx4VYCGMDRYxRZ7BlcXieX
N3mLxOmzrmoOSwATNro+Y6w8jqBRmRGNtdVLf6rUgWtfdsYHuxVuilyXtUTfTwMd
PSfE+Q85E0uOG6a7KPtzmDfR26xHwLNI2Jn1eX9mQQKBgQD8moKVBDTqLYCrMqR0
FpBlMsR+OEYyyyVNZiQ1lztSr94NTLiyM6Js61TTsBlD6VCB5hN6PA2Yi2czfguo
Vbf2evvrtk7DNV/r7mtSlyIzMvaIhXzQ/5ohjKr5qLhRzQHZOIpsYYFb+/SN8A7O
QH69xl7Gk/P3N6dWyZnyC1vrIQKBgQDKxBhLgoOLxNMjK7NF5RVFlMhSDIacAP7t
szC3xyxn9mMKpQFjtMXkU2xocwYdIQNrkFaHDYAYIuSIelj0WyNurxVpuay8TOlM
B44nvznp5vr162ToFEIaPATxXK8MLHHJa6h3beJ4I94Gp4C9+1Zr8GjLJND12EEQ
8r46gGHFFQKBgFs7muojSNFDefNbKRZch+5k9Z74yDHUOTbJK07Hvj9REYwQJ60F
BSb9n/eM5LMoc1FXPbWqNubfgniQj7lOrFCzfoVVpQDQKELYK576wvlm8K/CNqBt
kMeJPL9K9rdkqcRArY4TcVs9lsgk6dQIaz4zhUuHaFfjm+a2jYlkHODBAoGBALDh
3dvJUB4WpqVw0uQvUp4vi4zf9nGTANC1V9OKQbeznXTEuvCS22syR0jaxsOUcBpe
gM0xvsPPdJOGP6Fy+/brb3+ahRCC+6XilWUhEVF1uQncvlsiiQO/xgQT+XRiNSUj
8IO27TAnAeHGL64L2rkwsQo95LgCXch+Kep44lF9AoGAav8I6Une9BhG9NmnBClZ
UvRheymsyYFwrOrMPKUpYGVa+RjbTzpmlveUEUUEKq7EDPdFmmyt12hRYqLeXg5v
2uan9l/lRRDCJUtb+pytwwscxIBE5O4DmUp5TjBcNUHIUGoYEOKJ4ehlBUZKA522
YnXxGlRFwUZ000JIX9e4fTA=
-----END PRIVATE KEY-----
', 'UTF8'),
  token_endpoint_auth_method = 'private_key_jwt',
  authorization_endpoint = 'https://esignet.example.org/authorize',
  token_endpoint = 'https://esignet.example.org/v1/esignet/oauth/v2/token',
  userinfo_endpoint = 'https://esignet.example.org/v1/esignet/oidc/userinfo',
  jwks_uri = 'https://esignet.example.org/.well-known/jwks.json',
  server_metadata_url = 'https://esignet.example.org/.well-known/openid-configuration',
  adapter_name = 'esignet',
  scope = 'openid profile email',
  enable_pkce = true,
  extra_authorize_params = '{"acr_values":"mosip:idp:acr:generated-code mosip:idp:acr:biometrics","claims":{"id_token":{},"userinfo":{"birthdate":{"essential":true},"email":{"essential":false},"gender":{"essential":true},"individual_id":{"essential":false},"name":{"essential":true}}}}',
  issuer = 'https://esignet.example.org',
  audiences = '["openg2p-social-registry"]',
  oauth_callback_url = 'https://socialregistry.example.org/auth_oauth/signin',
  default_redirect_uri = 'https://iam.example.org/ui',
  active = true,
  updated_at = now()
WHERE client_id = 'openg2p-social-registry';
INSERT INTO login_providers (
  provider_name,
  description,
  client_id,
  client_private_key,
  token_endpoint_auth_method,
  authorization_endpoint,
  token_endpoint,
  userinfo_endpoint,
  jwks_uri,
  server_metadata_url,
  adapter_name,
  scope,
  enable_pkce,
  extra_authorize_params,
  issuer,
  audiences,
  oauth_callback_url,
  default_redirect_uri,
  active,
  created_at,
  updated_at
)
SELECT
  'eSignet',
  'eSignet client openg2p-social-registry',
  'openg2p-social-registry',
  convert_to('-----BEGIN PRIVATE KEY-----
MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQDIE2lOjbN2ov2/
b6uyeu3ZFJEl9S0Yea8Bqmx9+oSNRF4I7iih5sQErxnjlweKf+UtkLEYu0dMSFw4
yK0U54Ccjnb+SzSNsU1uE7U1icedlltLy6oiuomd/DpQ94/Tef9xBJbLoJSBn6AZ
TlysHkzHS4IYhjHKAemdP8vWld12NxgkzdkxZ2FYwYmPSHBKDaDuTJ2dG8xyMX3Z
sCMVsKi/4OJW7KSgRAocLai37lh+VDMP+pOcK2T3f4YGX7XLi9nETo9eOySn6wKb
StUtnxnvovBHoe9b98hyxfBpusxTFGqoJqR96pfivw6e94VvxohSSr2XO6qSG7zs
6ndB+661AgMBAAECggEACbD7BF2TyFbb0LaRjAstUzsOTtbh8NIQGpYNPEryub8K
iQc0O6dobkunBuGtcVWBnePo2ChWK0lEAlIiJCWUksDJ3cZ5zLU+aWsV93pti2IZ
mQHMA3Oir97kWkCrnFRH/cr5nPJxzxeS0zb7ATFUicDME/EIH19ZWA8bihDnUc8C
Ux9r8SSY7XS6QQQf6ItbnoPi5/ini7APwC6K2w5yzhXx4VYCGMDRYxRZ7BlcXieX
N3mLxOmzrmoOSwATNro+Y6w8jqBRmRGNtdVLf6rUgWtfdsYHuxVuilyXtUTfTwMd
PSfE+Q85E0uOG6a7KPtzmDfR26xHwLNI2Jn1eX9mQQKBgQD8moKVBDTqLYCrMqR0
FpBlMsR+OEYyyyVNZiQ1lztSr94NTLiyM6Js61TTsBlD6VCB5hN6PA2Yi2czfguo
Vbf2evvrtk7DNV/r7mtSlyIzMvaIhXzQ/5ohjKr5qLhRzQHZOIpsYYFb+/SN8A7O
QH69xl7Gk/P3N6dWyZnyC1vrIQKBgQDKxBhLgoOLxNMjK7NF5RVFlMhSDIacAP7t
szC3xyxn9mMKpQFjtMXkU2xocwYdIQNrkFaHDYAYIuSIelj0WyNurxVpuay8TOlM
B44nvznp5vr162ToFEIaPATxXK8MLHHJa6h3beJ4I94Gp4C9+1Zr8GjLJND12EEQ
8r46gGHFFQKBgFs7muojSNFDefNbKRZch+5k9Z74yDHUOTbJK07Hvj9REYwQJ60F
BSb9n/eM5LMoc1FXPbWqNubfgniQj7lOrFCzfoVVpQDQKELYK576wvlm8K/CNqBt
kMeJPL9K9rdkqcRArY4TcVs9lsgk6dQIaz4zhUuHaFfjm+a2jYlkHODBAoGBALDh
3dvJUB4WpqVw0uQvUp4vi4zf9nGTANC1V9OKQbeznXTEuvCS22syR0jaxsOUcBpe
gM0xvsPPdJOGP6Fy+/brb3+ahRCC+6XilWUhEVF1uQncvlsiiQO/xgQT+XRiNSUj
8IO27TAnAeHGL64L2rkwsQo95LgCXch+Kep44lF9AoGAav8I6Une9BhG9NmnBClZ
UvRheymsyYFwrOrMPKUpYGVa+RjbTzpmlveUEUUEKq7EDPdFmmyt12hRYqLeXg5v
2uan9l/lRRDCJUtb+pytwwscxIBE5O4DmUp5TjBcNUHIUGoYEOKJ4ehlBUZKA522
YnXxGlRFwUZ000JIX9e4fTA=
-----END PRIVATE KEY-----
', 'UTF8'),
  'private_key_jwt',
  'https://esignet.example.org/authorize',
  'https://esignet.example.org/v1/esignet/oauth/v2/token',
  'https://esignet.example.org/v1/esignet/oidc/userinfo',
  'https://esignet.example.org/.well-known/jwks.json',
  'https://esignet.example.org/.well-known/openid-configuration',
  'esignet',
  'openid profile email',
  true,
  '{"acr_values":"mosip:idp:acr:generated-code mosip:idp:acr:biometrics","claims":{"id_token":{},"userinfo":{"birthdate":{"essential":true},"email":{"essential":false},"gender":{"essential":true},"individual_id":{"essential":false},"name":{"essential":true}}}}',
  'https://esignet.example.org',
  '["openg2p-social-registry"]',
  'https://socialregistry.example.org/auth_oauth/signin',
  'https://iam.example.org/ui',
  true,
  now(),
  now()
WHERE NOT EXISTS (SELECT 1 FROM login_providers WHERE client_id = 'openg2p-social-registry');
COMMIT;
