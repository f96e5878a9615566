from tortoise import BaseDBAsyncClient

RUN_IN_TRANSACTION = True


async def upgrade(db: BaseDBAsyncClient) -> str:
    return """
        ALTER TABLE `payouts` ADD `failure_message` VARCHAR(255);
        ALTER TABLE `payouts` ADD `failure_code` VARCHAR(32);
        ALTER TABLE `payouts` ADD `returned_at` DATETIME(6);
        ALTER TABLE `provider_webhook_events` ADD `failure_code` VARCHAR(64);
        ALTER TABLE `payouts` ADD INDEX `idx_payouts_status_c86d1f` (`status`, `completed_at`, `id`);
        ALTER TABLE `payouts` DROP INDEX `idx_payouts_status_c4db49`;"""


async def downgrade(db: BaseDBAsyncClient) -> str:
    return """
        ALTER TABLE `payouts` DROP INDEX `idx_payouts_status_c86d1f`;
        ALTER TABLE `payouts` DROP COLUMN `failure_message`;
        ALTER TABLE `payouts` DROP COLUMN `failure_code`;
        ALTER TABLE `payouts` DROP COLUMN `returned_at`;
        ALTER TABLE `provider_webhook_events` DROP COLUMN `failure_code`;
        ALTER TABLE `payouts` ADD INDEX `idx_payouts_status_c4db49` (`status`);"""


MODELS_STATE = (
    "eJztXV1T27ga/iuaXMFMytBAW5a9Cj10l1MKnZae3dnSMYqtJDpxJK8sEzJ7+t+PJNvxt4"
    "lNHByjm93G1iOb55Wl90uv/unNqYVs92BomtQj/BJZE8TOCWfL3in4p0fgHIl/lLTqgx50"
    "nKiNvMDhyFYw6Lc3bAUwkEBgpJrAkcsZNLloNYa2i8QlC7kmww7HlEjsNUHAxuI/dAwgsK"
    "gn+nwle1gCh7ockwnYs+gcYnIQPMbdPwBDx0HEekWJvTwFjC5cABkCmLiIcWT15aMtaopn"
    "C3xjT7klBN0jBjzHguI3oAwIapD4p4Cu+sUu4Auqnu6CBeZTwKcIuILxsImBrT6g4uUsNM"
    "IcQGLJX7fEZMgSv8UrrxBwLt/tVxC8JLj6dnmpniAaOIzeY0u8j2kjKP/wVSvRw53pMYaI"
    "ubw7kOR4BP/tIYPTCRJQJij6/kNcxsRCD0JywU9nZowxsq3EGMGW7EBdN/jSUdfO8OSC8A"
    "+qraR+ZJjU9uYkau8s+ZSSFQATLq9OEEFMcieucebJ4UE82w7GVThi/JeNmvhvGcNYaAw9"
    "Ww4yifZfILrWM4yr6xvj6/mNYfQyAzBExEZLcMmkRA5e8aquImAiX+HVL4PB0dG7weHR25"
    "M3x+/evTk5PBFt1ftmb7376b9MxJbfleLs4reLqxv5QlR8If6HJC/8VBjIoY9SwojYj4ZM"
    "Vgrvp5DlyyCJSslC/JFpWYTMlwkjvPBM0pjDBzHfkAmfip9Hb0uI/s/wy/vfh1/2jt7uJ9"
    "m+Cu4M1C3Je8Rz+LlUYTmOaYrjaBbdOskna3B8UkjxSZphCzNkqjeqQHEC1EGO1xnHxcM4"
    "M4pn4o+qQm/YvoPMvl6H2tfF3L7OkOuvxcYcE8qqLYlp5OOL4y7QvcX1MbYewiX1eNXlMA"
    "6qNdaDpe6lLIYMSSoMyLMs/0vc4XiOCpbEBDJFtRVAD8J/7OCoL6H65uLT+deb4afPsvu5"
    "6/5tK76GN+fyzkBdXaauZib3VSfgj4ub34H8Cf66vjpXdAqtbsLUE6N2N3/15DtBj1OD0I"
    "UBrTgn4eXwUnJCC8y4qhp+EldrMnv8e+roXCbNrPEsV9UPaM3K4gNlCE/IR7RU8rgQrw6J"
    "iXLID+z5b8JgHUa97ZYsfobDLbwavSKDi5WBmhqFggTfFpe3vohP48vFe8G3pHsEzdkCMs"
    "tI8C7v0AFNXVm1zd6aD+bpK5DAiSJI/iXyvUN/ioOFsHp5nhb/Tr/Uu+JgY4aW6/lTimnV"
    "Jn+Lp4F+ickvZG9MoTutpMjHMJtR5p9XEEkj6XgdK+m42Ew6Tis4DkNj/FBJhVwhtK20hq"
    "0k/m5kV+F3Bdgevb3eVsgdvHmzBruiVSG96p7W0F+ghs7QPZ3VEnMSuQExt1NL7ISUPaGu"
    "VzbCYiDtTtqUCSZJ3ZD9tYMiWNfyig29dpldnoX5JZ308gyv8F6/1PSSrQybTioEsxldAE"
    "dGYQVt3hxZwI8rA3SPCD/IjUw/DtHGW4snkH6J8TZHritGZ0UHdRKlDbhHDTj1pRjqVwWa"
    "k6gOGnKbJxpOhKYzEXz4PFUgO4vsIOFHg3ViL4Pi2MugmPBqU0ga172kjwbcQHBpU5hD8w"
    "16KFgtY5BODOcyO+r8z5uECRVSufdp+Od+woy6vL76LWweo/795fVZinKGxJ/tVg3gJlEN"
    "RXCf0wE3WCfZRrQqdsENMgk31FQJSnW8Bymo9hK12n/AkEmZVdNNlIBqQbdO0BlvxfPY1h"
    "cWmjuUy3THgtBmqkW/zM7GUduGQp3fV74c0X/vhzaed8F4nqFK+bdB807oYVuIGY3F8xFz"
    "GM7LMSlmOQXrINubNyzEnO+IJyLD5ZB7bpbuwgklB9kl9/7g9fG745Ojt8ereWV1pWw6ye"
    "aBrngaUStn0ig24DLATgzobZtxz5SG2zbadSJuK0f8Luj1CW/2g4NFdzXEnERuR8zb1Eu7"
    "JGUd5tdh/jaIYNfD/NceH9GHT37ItJfjiUg26Jc5IqhqagTx1zWj/sNEvB4sIFYbvzkFIw"
    "Qcb2Rjd4qsXwGWW8TlBm3sggXDHPk/szkBm+jw8YyB773IpoD3EKvxGawcQsw/tFOklU4R"
    "nVGwFVVbZxTojII2EK4zCnZ5cOuMgq27oqYICh0ox8daTHkMoimvQXmRV7t4Lin0Zje5v0"
    "cWc5K0bWUuaaDeBOdo7vAq0YM4ZHvugsNm9e+NxQxs6HIDMZZXvqN4skiiupB7tO3pIm1s"
    "VnFwprHak91qH6dpQyEEyxhVK6SVQHXhE2tazwwZ8wjHOftsH4kNpcF6e2CrvykdBHwJYl"
    "75eWsIOo3VH3TbJN2SNM7PKgWjlxM0Ce70y6IlfgJHo9maQg1HjEDbYGiMZHVNlEnejBon"
    "5zcZw+iDeJTDpHNH1eetG+UoVlm0X73Ur14cztBVFFtQRVFXu2262u0C2mLmqcJvhOggu4"
    "0kNOesFRX4zkd3kPtGNpfthgt4exxv3PsbVvc36qXa5qI34llpkbbSyMheUVd9iOdAu+fM"
    "2nyA2kVEauiVox0ZnA556JBHO0IeRHArFAvOljW8ORmwdue0zZ2TMKZSXoZKHtoUVku6zZ"
    "JOre91HLW5PWipt1nqBCHLFfPxPUaLHI8VpTaCpGgmT0JTgh4J7GY0lIwOvpL2doV7dn19"
    "mZDr2UV6tfz26excKOVKoKIR5gU+Kp81QR50884MKtvhmQJqBaZOnR5FootzvSqP1p5NYP"
    "X01ubpbQyx7TEk5GdV8p+lcV34ypq2dEPO5tHepKp0x6DdY7wRN7GwpDxGapZHSkD1RNbm"
    "iWy38mT0Luqau6j9w3drSDmJ1NlQ7Raz3iyvN8u3QATb2Cy/zpaPswD54eMXZMOCE3ETqV"
    "xfEbGGfn8d4v1n89lxceIKE+VS7D6WM2dkYlXrHS5gQtuWdQAS572PKQMQ+B2fAuoIyVpg"
    "T0y+QgLgzvV3Pd3tgxESLZHCyn76wLSpi/xpM30kQRMPuiULzKcAcxdA4i4QOwB3HpmJKZ"
    "/cnfpn3IsuxHNcTh1HdB3rxweI7sSS3OsXJA06Uc5iIApd6LE1S0oflCQBRl9OtZ1tXVva"
    "N1kPT75fhtCymtohQufjrJGPM+XcqV7OMYXq0Fm5Gxu5Ks+gci2IJKp7nrDN+x59xgo9j8"
    "XxlAywC2xvO57S2nS+Vo36plJVWT2PURKpPUat9hiNMam7fS4F1W7+NstZlx5ubN9WiRcw"
    "MrWf6AeM9hnuGOHregITQ61VhTM/M2oKLQ5ZJbUzM236pc6tsHXFCpo30lPkH37JACYj+n"
    "AKIAj6kGUuYXR7Cl0g3sDGyOqrqpccEbByLKHxGJk5x2w28oRcJ1TYjZopo6qL2hO1E56o"
    "uPTW3gkZw3RwLdl8tZL2lDDtONHRfFwrNTmB1WkQbdOC21JDInBGqCO1C3SIWIPHFAjfsa"
    "FO3q4QGLvz1axXLmL32IzFrFRHd4B55BRM6QKIP2MZhLBcsZ4DueMCMmT5C3w83JUbF2vg"
    "ObcEEkupFhYWExxDaI7ECAWjJZiJDwPsQfDvr9dXgI7+KxSP/b4Kw8U7MJK4CfQmhUEyrY"
    "XsghaiXVSdnbRb66LSgm4wFXWKzBnKmVIL59MYQse3c6KEHvEzQiqRmgRpXnN4TagSVaKC"
    "GWAnDLRthAVbpsb/gUZTSmfvKRnb2CxV6NNN11PtFz5Kek4VbO1TdoLK+EL3hRxAxvC9UK"
    "c9lTEGg7NyDGwp1Vh5+AC0GYLWUujjggBf8YaESlU47Os0o+Q385hbMkMO9xPoiMycE98A"
    "ZX1ARHcsdDYW+xTDh6rvyu/SmEJ3qr2Ku6HPx+W3dkZLXOZdmEu3UatHH7ex9USW+HRUYX"
    "incZ0gv/lzpE0kl6NaWxcTUG0wts5gbKceeC6XoTWUQL9dNQ1QLXEVQsQBLozfImhOIwes"
    "f1YiJSYCeyslzR+b+30AXRB+AeIHscBi6n8ImSjxph9yS6R6t5QHOGIOLGwdgHhoRZ7deP"
    "Xt8hKo6vtSO/SVSge6qyi0AGp/rtb/nro4vphKje3Pqe0Y87UK7j69zm7Lsip1md3d39ZD"
    "TVXXvI6GnYJqDbt1GrYuc/RMaUjaLaPdMh0e39ot80IWjZblU7bLzuiSoPX2+YZ3Hz/Trq"
    "12fTHNnLUVS+ZAHOYdB1qSxbFCdEGvfUHZG6qcVo6XPiyzVeyVl5WqGjjCTzumd8Exrf5f"
    "YQYO23dwjWuk1uxu1SBtzeS8C+pihYk/VujKwcYMLZ9Y0G/o4I9oubsyz1bx6ydWBDR3KJ"
    "dnS26Aq4uotw5zFjuJtz5VnduKn6AImqY8L/aJHEl9auj31CWimlZNQ8oKNNQYo+WKqhGX"
    "YlNnTq9OttXZtTuhxOrTizPK7IZPLx5BW1ZxqXNKdwbamUMZt3xG91QCawggidPs12NfG3"
    "KPKRU7a8jp0yRenpj1aRLbnEgzrhJ9msRznCaBiHgb9FTfk2+AXSJrgti56HEdn0o740Lb"
    "NYOHiGFz2suxgIM7/TLjF0ZtWhOmeSnm7RM31xcbrveIuTjvMNNiuzUG6aDZ2kgMRn5UFR"
    "gOmneQ3deHh+ukSx8eFudLy3spw4gSHuz8SjIsa1YVWEQRJK0nY5OD/wEbu7uoUJWQK8lI"
    "KMeZdIN0ZkFK65UdPHu6wc//A/SrXeY="
)
