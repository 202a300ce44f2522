// A token pair from an SDDC Manager login, and an access token renewed from it: the `vcf` package in Go.
package main

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/vcf-provider/vcf-provider/sdk/go/vcf"
)

func main() {
	pulumi.Run(func(ctx *pulumi.Context) error {
		// Logs in with stack config vcf:host, vcf:caBundle, vcf:username and secret vcf:password
		// (the default provider's config); `pulumi destroy` revokes its refresh token.
		login, err := vcf.NewAccessTokenPair(ctx, "login", nil)
		if err != nil {
			return err
		}
		// Refreshed from the pair's refresh token, and renewed on any `pulumi up` within 300 s of expiry.
		token, err := vcf.NewRefreshedAccessToken(ctx, "token", &vcf.RefreshedAccessTokenArgs{
			Host:         login.Host,
			RefreshToken: login.RefreshToken,
		})
		if err != nil {
			return err
		}
		// token.AccessToken is always secret; hand it to other resources rather than exporting it.
		ctx.Export("expiresAt", token.ExpiresAt)
		return nil
	})
}
