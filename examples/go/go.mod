module vcf-go

go 1.24

require (
	github.com/pulumi/pulumi/sdk/v3 v3.274.1
	github.com/vcf-provider/vcf-provider/sdk/go v0.0.0
)

// The SDK that `pulumi package add` generates into sdks/vcf; `go mod tidy` then fills go.sum.
replace github.com/vcf-provider/vcf-provider/sdk/go => ./sdks/vcf
