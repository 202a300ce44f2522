// A token pair from an SDDC Manager login, and an access token renewed from it: the `vcf` package in TypeScript.
import * as vcf from "@vcf-provider/pulumi-vcf";

// Logs in with stack config vcf:host, vcf:caBundle, vcf:username and secret vcf:password (the
// default provider's config); `pulumi destroy` revokes its refresh token.
const login = new vcf.AccessTokenPair("login");

// Refreshed from the pair's refresh token, and renewed on any `pulumi up` within 300 s of expiry.
const token = new vcf.RefreshedAccessToken("token", {
    host: login.host,
    refreshToken: login.refreshToken,
});

// `token.accessToken` is always secret; hand it to other resources rather than exporting it.
export const expiresAt = token.expiresAt;
