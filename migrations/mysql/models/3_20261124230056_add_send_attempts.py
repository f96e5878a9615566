from tortoise import BaseDBAsyncClient

RUN_IN_TRANSACTION = True


async def upgrade(db: BaseDBAsyncClient) -> str:
    return """
        CREATE TABLE IF NOT EXISTS `payout_send_attempts` (
    `id` BIGINT NOT NULL PRIMARY KEY AUTO_INCREMENT,
    `attempt` INT NOT NULL,
    `result` VARCHAR(16) NOT NULL,
    `http_status` INT,
    `error_type` VARCHAR(32),
    `error_message` LONGTEXT,
    `provider_payout_id` VARCHAR(128),
    `started_at` DATETIME(6) NOT NULL,
    `finished_at` DATETIME(6),
    `payout_id` VARCHAR(36) NOT NULL,
    UNIQUE KEY `uid_payout_send_payout__cd33d7` (`payout_id`, `attempt`),
    CONSTRAINT `fk_payout_s_payouts_2b3745bc` FOREIGN KEY (`payout_id`) REFERENCES `payouts` (`id`) ON DELETE RESTRICT
) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin COMMENT='One call to the provider for a payout: opened (result `sending`) before the call, closed';"""


async def downgrade(db: BaseDBAsyncClient) -> str:
    return """
        DROP TABLE IF EXISTS `payout_send_attempts`;"""


MODELS_STATE = (
    "eJztXVtv2zgW/iuEn1rADVInbbOZJ7ebzmQnTYo23RlMWyi0dGwTkUkNRccxZvvfl9TFuj"
    "uSazm0wpeilvhRynco8tx4+E9vxhxw/YOhbbM5FRfgTICfUcGXvVP0T4/iGcj/rGnVRz3s"
    "eUkbdUHgkRvAcNjecgOABRJBIGiCR77g2Bay1Ri7PshLDvg2J54gjCrsFQXkEvkPGyOMHD"
    "aXfb5QPSyRx3xB6AQ9c9gME3oQPcZ/foCGngfUecGouzxFnC18hDkgQn3gApy+erTDbPls"
    "iW/tKd8ohTvgaO45WP5GjCNJDcj/SuiqX+IjsWDB0320IGKKxBSQLxmPm1jE6SMmX86BER"
    "EIU0f9+kZtDo78LV95hcAz9W6/oOgl0eWXi4vgCbKBx9kdceT72C5g9YevWskebuw550Dt"
    "5c2BImdOyd9zsASbgIRySdHX7/IyoQ7cS8lFP71ba0zAdTJjhDiqg+C6JZZecO0tmZxT8T"
    "5oq6gfWTZz5zOatPeWYsroCkCoUFcnQIEr7uQ1wedqeNC560bjKh4x4csmTcK3TGEcGOO5"
    "qwaZQocvkFzrWdbl1bX1+ezasnqFARgjUqMlumQzqgavfFU/IGCiXuHFvwaDo6M3g8Oj1y"
    "evjt+8eXVyeCLbBu9bvPXmR/gyCVthVwFn57+eX16rF2LyCwk/JHXhR4DBAoeoQBgJ+8mQ"
    "KUrh3RTzchlkUTlZyD8yL4uY+XXCiC88kjRm+F7ON3QipvLn0es1RP93+Ondb8NPz45eP8"
    "+yfRndGQS3FO8Jz/Hn0oTlNKYtjpNZdOckn9Tg+KSS4pM8ww7hYAdv1IDiDKiDHNcZx9XD"
    "uDCKb+Uf1YTeuH0HmX1Zh9qX1dy+LJAbrsXWjFDGmy2JeeTDi+M+0L3D9TG1HuIlm4umy2"
    "EatNFYj5a6p7IYclBUWFgUWf63vCPIDCqWxAwyR7UTQQ/i/+zhqF9D9fX5h7PP18MPH1X3"
    "M9//2w34Gl6fqTuD4Ooyd7Uwua86QX+cX/+G1E/019XlWUCn1OomPHhi0u76r556JzwXzK"
    "JsYWEnzUl8Ob6UndAiM66php/FbTSZPfw9dXQuU2bW+LZU1Y9oLcriPeNAJvR3WAbyOJev"
    "jqkNJeRH9vwXabAOk972SxY/4uEWX01ekePFykDNjUJJQmiLq1uf5Kfx6fyd5FvRPcL27Q"
    "Jzx8rwru6wActdWbUt3poNZvkrmOJJQJD6S9R7x/4Uj0hh9co8LeGd/lrvikesW1jW86dU"
    "02pMfo2ngf4ak1/K3ppif9pIkU9htqPMP64gskbScR0r6bjaTDrOKzgehzG5b6RCrhDGVq"
    "phK8m/G9wm/K4Au6O319sJuYNXr2qwK1tV0hvcMxr6E9TQOdyx243EnEVuQcx6aomdkPJc"
    "quuNjbAUyLiTtmWCKVK3ZH/toQjqWl6poaeX2TV3iLhgk16Z4RXf6681vVQry2WTBsFszh"
    "bIU1FYSdt8Bg4K48oI7oCKg9LI9MMQY7xpPIH01xhvM/B9OTobOqizKGPAPWjABV+KFfxq"
    "QHMW1UFDbvtE44nUdCaSj5CnBmQXkR0k/GhQJ/YyqI69DKoJbzaF5HHdS/powQ2Ely7DJT"
    "Rfw33FapmCdGI4r7Ojzv68zphQMZXPPgz/fJ4xoy6uLn+Nm6eof3dx9TZHOQf5Z/tNA7hZ"
    "VEsR3Md0wA3qJNvIVtUuuEEh4YbZQYLSJt6DHNR4ibT2H3CwGXc2dBNloEbQ2gm64K14HN"
    "v63IGZx4RKd6wIbeZa9NfZ2SRp21Ko8+vKlyP77303xvM+GM+30Cj/NmreCT1sBzGjsXw+"
    "cI+TshyTapZzsA6yvX3DQs75nnwiWL7AYu4X6a6cUEqQXXLvD14evzk+OXp9vJpXVlfWTS"
    "fFPNAVTyPmlEwa1QZcAdiJAb1rM+6R0nB1o90k4mo54vdBr894s+89IrvbQMxZ5G7EvEu9"
    "tEtSNmF+E+bXQQT7Hua/mosRu/8Qhkx7JZ6IbIP+OkcEC5paUfy1ZtR/mInXowUmwcZvwd"
    "AIkDcfucSfgvMLImqLuNqgTXy04ERA+LOYE7CNDh/OGPjaS2wKfIdJMD6jlUOK+btximjp"
    "FDEZBTtRtU1Ggcko0IFwk1Gwz4PbZBTs3BU1BSx1oBIfazXlKYihfAPKq7za1XNJpTe7zf"
    "09qpiTom0nc0kL9SaEgJknmkQP0pDduQsO29W/txYzcLEvLOC8rHxH9WSRRXUh92jX00Xe"
    "2Gzi4MxjjSdbax+n7WIpBMcaNSuklUF14RNrW8+MGZtTQUr22T4QG8qDzfZArb8pEwR8Cm"
    "Je+Xk3EHQeaz5o3SStSRrnxyAFo1cSNInu9NdFS8IEjlazNaUaDpxi1+IwBlVdEwrJm0nj"
    "7PzWOIZRrZAYr/lar3l1sMLUSNSgRqKpZdt2LdsFdl1olEWbIDrIbivpyiUrQQO+y9Ed5L"
    "6VrWM6Ongfb9ncvms3Lt1vbZZHW4reittEI2WllYG9oq75CC+Bds9Ttf3osw9UKeiNQxkF"
    "nIlnmHiGHvEMKrmVeoXgyw1cNQWw8dXo5qvJ2FJs5gVH/Gzifs1hjaR1lnRufd/EC1vag5"
    "G6zlI3wZUnIeboyLYNxJxFGjHrLWazxcpssdJABLvYYlUnUfBthHz/+ydwccU5apkA4Gdp"
    "dg/D/jrE+4/2Y6pp4irDqzl2H4q0WgUnSL2StDZ2XbV7LHNK6JhxhFHY8SlinpSsg57JyV"
    "dKAN34Ya7szXM0AtkSAqzqp49sl/kQTpv5QrZtPOgbDQ5NJcJHmPoL4AfoZk5v5ZRPb07D"
    "k1FlF/I5vmCeJ7tO9RMCZHdySe71K0LNXhLpjkRhygNps6T01wWXky+nWT5015b2bVZRUe"
    "9XIHRdJcYY0cVY2tYDPVMhvOZFgHKoDp2wtrWRGziwG+8gzKK64PtuO3wTMjZL9tLXDTMU"
    "gF1ge+dllnSNE2s16ttKgeCbeYyySOMx0tpjNCZ006TrHNT4+XWWsylY11o+8BovYGJq/6"
    "QfMMlO3zPC63oCM0NNq3JLHzmzpRYHzpqKS4U2/bXOrbh1w7pL18pTFB6ZxBGhI3Z/ijCK"
    "+lDFkXBye4p9JN/AJeD0g1pJAihaOZZgPAa75HCmVp5Q6oSKuwlmyqRWj/FE7YUnKi292h"
    "n2KUwH15Lt73HVp/BVx4lO5uONcl4yWFOCVDctWJedh5Ez4g8YTRm7fcfo2CV2eaysoulD"
    "SkXo7FiEKKVyBbDaRR2jQkxITLFAmHNyBw6aB6EmHJVmlLNKEGcKVAOEXQ7YWaIpkwSESz"
    "+mTK3xcV+nBQ2jncd8o7fgiTDyRlXITX5ejPcRld3xWEupVkbihwZDLuwyPE3eqCN7oY6k"
    "5VfbFZ6WefdWyXZ2j5jqbjv3gKenowbDO4/rBPntH1tig1qONjtILA01Xm+jB9bSA8/UMl"
    "RDCQzbNdMAgyWugW8pwsWOH8D2NMlqCktzM2oDerZS0sKx+byPsI/iL0D+oA5aTMMPoeBe"
    "2vZDvlGl3i1VvXAikEOcA5S2yVSp8MsvFxcoKPaktMNQqfSwv3JfSaA5dNzofx0qdNLu3m"
    "H9g/EdY16bUhCaBWifaCWITmUImlOaO6xzG+eBcR7oQr5xHmg68vduItMrXKiXNtwlQZvd"
    "IS0n1z9SUqJeX0zbB3s5IHBZjfRqtStBdMFI3IXSpYlvOdgtXuJLjneRV/uO1UbsFuoaG/"
    "fpPrhPmx761+Hj/lqp5Gpq7HRWXWww8af2cXvEuoXlT9arGHrkd1jur8yLRSr6mRUBZh4T"
    "qiT3Frg6T3rrMGep4wk2p6pzO00yFGHbVmX2f5IjpU8Nw566RFTbqmlMWYWGmmJ0vaJqpa"
    "XY1kEcqwMBTA7oXiix5tCHtg99GGFXbVLc5HCTArQzxax3fLTJVAE3EEAWZ9jf8GAZY8h1"
    "1ZAzxVKfnphNsVRTLFUDEdQtkbCdYqlA5dvAz/qeQgPsApwJ8DPZYx2fip5xod2awUPgxJ"
    "72Sizg6E5/nfGLkzbahGmeinn7k5X7qg3XO+B+9LHVtVtTkA6ara3EYNRH1YDhqHkH2X15"
    "eFgnhffwsDqHV93LGUaMimh/Upbh/3y+uqywiBJIXk8mtkD/Qy7x91GhWkOuIiOjHBfSDf"
    "KZBTmtV3Xw6OkGP/4PtVoFZg=="
)
