//go:build tools

// Package tools pins the Pulumi engine modules that `make setup` builds.
package tools

import (
	_ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"
)
