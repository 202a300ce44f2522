package sdkfiles

import (
	"context"
	"errors"

	"github.com/blang/semver"

	"github.com/pulumi/pulumi/pkg/v3/codegen/schema"
)

// NoLoader resolves no package. vcf-sdkgen runs without a plugin host, and our schema refers
// to no other package, so a reference is a mistake worth a clear error.
type NoLoader struct{}

var _ schema.ReferenceLoader = NoLoader{}

var errNoOtherPackages = errors.New(
	"the schema refers to another package; vcf-sdkgen generates only self-contained schemas")

func (NoLoader) LoadPackage(string, *semver.Version) (*schema.Package, error) {
	return nil, errNoOtherPackages
}

func (NoLoader) LoadPackageV2(context.Context, *schema.PackageDescriptor) (*schema.Package, error) {
	return nil, errNoOtherPackages
}

func (NoLoader) LoadPackageReference(string, *semver.Version) (schema.PackageReference, error) {
	return nil, errNoOtherPackages
}

func (NoLoader) LoadPackageReferenceV2(
	context.Context, *schema.PackageDescriptor,
) (schema.PackageReference, error) {
	return nil, errNoOtherPackages
}
