-- openg2p-fastapi-auth login_providers row for eSignet client openg2p-social-registry, rendered by esignet-operator.
-- Idempotent: it updates the row whose authorization_parameters hold this client_id or inserts one.
BEGIN;
LOCK TABLE login_providers IN SHARE ROW EXCLUSIVE MODE;
UPDATE login_providers SET
  name = 'eSignet',
  type = 'oauth2_auth_code',
  description = 'eSignet client openg2p-social-registry',
  login_button_text = 'Login with eSignet',
  login_button_image_url = '',
  authorization_parameters = '{"authorize_endpoint":"https://esignet.example.org/authorize","client_assertion_jwk":{"alg":"RS256","d":"CbD7BF2TyFbb0LaRjAstUzsOTtbh8NIQGpYNPEryub8KiQc0O6dobkunBuGtcVWBnePo2ChWK0lEAlIiJCWUksDJ3cZ5zLU-aWsV93pti2IZmQHMA3Oir97kWkCrnFRH_cr5nPJxzxeS0zb7ATFUicDME_EIH19ZWA8bihDnUc8CUx9r8SSY7XS6QQQf6ItbnoPi5_ini7APwC6K2w5yzhXx4VYCGMDRYxRZ7BlcXieXN3mLxOmzrmoOSwATNro-Y6w8jqBRmRGNtdVLf6rUgWtfdsYHuxVuilyXtUTfTwMdPSfE-Q85E0uOG6a7KPtzmDfR26xHwLNI2Jn1eX9mQQ","dp":"Wzua6iNI0UN581spFlyH7mT1nvjIMdQ5NskrTse-P1ERjBAnrQUFJv2f94zksyhzUVc9tao25t-CeJCPuU6sULN-hVWlANAoQtgrnvrC-Wbwr8I2oG2Qx4k8v0r2t2SpxECtjhNxWz2WyCTp1AhrPjOFS4doV-Ob5raNiWQc4ME","dq":"sOHd28lQHhampXDS5C9Sni-LjN_2cZMA0LVX04pBt7OddMS68JLbazJHSNrGw5RwGl6AzTG-w890k4Y_oXL79utvf5qFEIL7peKVZSERUXW5Cdy-WyKJA7_GBBP5dGI1JSPwg7btMCcB4cYvrgvauTCxCj3kuAJdyH4p6njiUX0","e":"AQAB","kid":"sM8UxYcbMubmqQEdcbiNZLEVer3-x1TgDbDTQC1WxSI","kty":"RSA","n":"yBNpTo2zdqL9v2-rsnrt2RSRJfUtGHmvAapsffqEjUReCO4ooebEBK8Z45cHin_lLZCxGLtHTEhcOMitFOeAnI52_ks0jbFNbhO1NYnHnZZbS8uqIrqJnfw6UPeP03n_cQSWy6CUgZ-gGU5crB5Mx0uCGIYxygHpnT_L1pXddjcYJM3ZMWdhWMGJj0hwSg2g7kydnRvMcjF92bAjFbCov-DiVuykoEQKHC2ot-5YflQzD_qTnCtk93-GBl-1y4vZxE6PXjskp-sCm0rVLZ8Z76LwR6HvW_fIcsXwabrMUxRqqCakfeqX4r8OnveFb8aIUkq9lzuqkhu87Op3QfuutQ","p":"_JqClQQ06i2AqzKkdBaQZTLEfjhGMsslTWYkNZc7Uq_eDUy4sjOibOtU07AZQ-lQgeYTejwNmItnM34LqFW39nr767ZOwzVf6-5rUpciMzL2iIV80P-aIYyq-ai4Uc0B2TiKbGGBW_v0jfAOzkB-vcZexpPz9zenVsmZ8gtb6yE","q":"ysQYS4KDi8TTIyuzReUVRZTIUgyGnAD-7bMwt8csZ_ZjCqUBY7TF5FNsaHMGHSEDa5BWhw2AGCLkiHpY9Fsjbq8VabmsvEzpTAeOJ7856eb69etk6BRCGjwE8VyvDCxxyWuod23ieCPeBqeAvftWa_BoyyTQ9dhBEPK-OoBhxRU","qi":"av8I6Une9BhG9NmnBClZUvRheymsyYFwrOrMPKUpYGVa-RjbTzpmlveUEUUEKq7EDPdFmmyt12hRYqLeXg5v2uan9l_lRRDCJUtb-pytwwscxIBE5O4DmUp5TjBcNUHIUGoYEOKJ4ehlBUZKA522YnXxGlRFwUZ000JIX9e4fTA","use":"sig"},"client_assertion_type":"urn:ietf:params:oauth:client-assertion-type:jwt-bearer","client_id":"openg2p-social-registry","code_challenge_method":"S256","code_verifier":"prYqsGsp8PMLX1msO-ktJJWYN8fDUh8uw3Yysh--zG0","enable_pkce":true,"extra_authorize_parameters":{"acr_values":"mosip:idp:acr:generated-code mosip:idp:acr:biometrics","claims":"{\"id_token\":{},\"userinfo\":{\"birthdate\":{\"essential\":true},\"email\":{\"essential\":false},\"gender\":{\"essential\":true},\"individual_id\":{\"essential\":false},\"name\":{\"essential\":true}}}"},"jwks_endpoint":"https://esignet.example.org/.well-known/jwks.json","redirect_uri":"https://socialregistry.example.org/auth_oauth/signin","response_type":"code","scope":"openid profile email","token_endpoint":"https://esignet.example.org/v1/esignet/oauth/v2/token","validate_endpoint":"https://esignet.example.org/v1/esignet/oidc/userinfo"}',
  active = true,
  updated_at = now()
WHERE authorization_parameters->>'client_id' = 'openg2p-social-registry';
INSERT INTO login_providers (
  name,
  type,
  description,
  login_button_text,
  login_button_image_url,
  authorization_parameters,
  active,
  created_at,
  updated_at
)
SELECT
  'eSignet',
  'oauth2_auth_code',
  'eSignet client openg2p-social-registry',
  'Login with eSignet',
  '',
  '{"authorize_endpoint":"https://esignet.example.org/authorize","client_assertion_jwk":{"alg":"RS256","d":"CbD7BF2TyFbb0LaRjAstUzsOTtbh8NIQGpYNPEryub8KiQc0O6dobkunBuGtcVWBnePo2ChWK0lEAlIiJCWUksDJ3cZ5zLU-aWsV93pti2IZmQHMA3Oir97kWkCrnFRH_cr5nPJxzxeS0zb7ATFUicDME_EIH19ZWA8bihDnUc8CUx9r8SSY7XS6QQQf6ItbnoPi5_ini7APwC6K2w5yzhXx4VYCGMDRYxRZ7BlcXieXN3mLxOmzrmoOSwATNro-Y6w8jqBRmRGNtdVLf6rUgWtfdsYHuxVuilyXtUTfTwMdPSfE-Q85E0uOG6a7KPtzmDfR26xHwLNI2Jn1eX9mQQ","dp":"Wzua6iNI0UN581spFlyH7mT1nvjIMdQ5NskrTse-P1ERjBAnrQUFJv2f94zksyhzUVc9tao25t-CeJCPuU6sULN-hVWlANAoQtgrnvrC-Wbwr8I2oG2Qx4k8v0r2t2SpxECtjhNxWz2WyCTp1AhrPjOFS4doV-Ob5raNiWQc4ME","dq":"sOHd28lQHhampXDS5C9Sni-LjN_2cZMA0LVX04pBt7OddMS68JLbazJHSNrGw5RwGl6AzTG-w890k4Y_oXL79utvf5qFEIL7peKVZSERUXW5Cdy-WyKJA7_GBBP5dGI1JSPwg7btMCcB4cYvrgvauTCxCj3kuAJdyH4p6njiUX0","e":"AQAB","kid":"sM8UxYcbMubmqQEdcbiNZLEVer3-x1TgDbDTQC1WxSI","kty":"RSA","n":"yBNpTo2zdqL9v2-rsnrt2RSRJfUtGHmvAapsffqEjUReCO4ooebEBK8Z45cHin_lLZCxGLtHTEhcOMitFOeAnI52_ks0jbFNbhO1NYnHnZZbS8uqIrqJnfw6UPeP03n_cQSWy6CUgZ-gGU5crB5Mx0uCGIYxygHpnT_L1pXddjcYJM3ZMWdhWMGJj0hwSg2g7kydnRvMcjF92bAjFbCov-DiVuykoEQKHC2ot-5YflQzD_qTnCtk93-GBl-1y4vZxE6PXjskp-sCm0rVLZ8Z76LwR6HvW_fIcsXwabrMUxRqqCakfeqX4r8OnveFb8aIUkq9lzuqkhu87Op3QfuutQ","p":"_JqClQQ06i2AqzKkdBaQZTLEfjhGMsslTWYkNZc7Uq_eDUy4sjOibOtU07AZQ-lQgeYTejwNmItnM34LqFW39nr767ZOwzVf6-5rUpciMzL2iIV80P-aIYyq-ai4Uc0B2TiKbGGBW_v0jfAOzkB-vcZexpPz9zenVsmZ8gtb6yE","q":"ysQYS4KDi8TTIyuzReUVRZTIUgyGnAD-7bMwt8csZ_ZjCqUBY7TF5FNsaHMGHSEDa5BWhw2AGCLkiHpY9Fsjbq8VabmsvEzpTAeOJ7856eb69etk6BRCGjwE8VyvDCxxyWuod23ieCPeBqeAvftWa_BoyyTQ9dhBEPK-OoBhxRU","qi":"av8I6Une9BhG9NmnBClZUvRheymsyYFwrOrMPKUpYGVa-RjbTzpmlveUEUUEKq7EDPdFmmyt12hRYqLeXg5v2uan9l_lRRDCJUtb-pytwwscxIBE5O4DmUp5TjBcNUHIUGoYEOKJ4ehlBUZKA522YnXxGlRFwUZ000JIX9e4fTA","use":"sig"},"client_assertion_type":"urn:ietf:params:oauth:client-assertion-type:jwt-bearer","client_id":"openg2p-social-registry","code_challenge_method":"S256","code_verifier":"prYqsGsp8PMLX1msO-ktJJWYN8fDUh8uw3Yysh--zG0","enable_pkce":true,"extra_authorize_parameters":{"acr_values":"mosip:idp:acr:generated-code mosip:idp:acr:biometrics","claims":"{\"id_token\":{},\"userinfo\":{\"birthdate\":{\"essential\":true},\"email\":{\"essential\":false},\"gender\":{\"essential\":true},\"individual_id\":{\"essential\":false},\"name\":{\"essential\":true}}}"},"jwks_endpoint":"https://esignet.example.org/.well-known/jwks.json","redirect_uri":"https://socialregistry.example.org/auth_oauth/signin","response_type":"code","scope":"openid profile email","token_endpoint":"https://esignet.example.org/v1/esignet/oauth/v2/token","validate_endpoint":"https://esignet.example.org/v1/esignet/oidc/userinfo"}',
  true,
  now(),
  now()
WHERE NOT EXISTS (SELECT 1 FROM login_providers WHERE authorization_parameters->>'client_id' = 'openg2p-social-registry');
COMMIT;
