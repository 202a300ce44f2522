// Package sdkfiles holds what our Python language host and vcf-sdkgen share around the
// upstream code generators: binding a schema and writing the generated files.
package sdkfiles

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/hashicorp/hcl/v2"

	"github.com/pulumi/pulumi/pkg/v3/codegen/schema"
)

// Bind parses and binds a schema.json. Diagnostics that are errors come back as the error, so
// a caller never generates from a half-bound package.
func Bind(schemaJSON []byte, loader schema.Loader) (*schema.Package, hcl.Diagnostics, error) {
	var spec schema.PackageSpec
	if err := json.Unmarshal(schemaJSON, &spec); err != nil {
		return nil, nil, fmt.Errorf("the schema is not valid JSON: %w", err)
	}
	pkg, diags, err := schema.BindSpec(spec, loader, schema.ValidationOptions{})
	if err != nil {
		return nil, diags, err
	}
	if diags.HasErrors() {
		return nil, diags, fmt.Errorf("the schema does not bind:\n%s", describe(diags))
	}
	return pkg, diags, nil
}

// describe lists the error diagnostics a line each. hcl's own format starts each with the
// source range, which schema diagnostics do not have ("<nil>: ...").
func describe(diags hcl.Diagnostics) string {
	var lines []string
	for _, d := range diags {
		if d.Severity != hcl.DiagError {
			continue
		}
		line := "  " + d.Summary
		if d.Detail != "" {
			line += ": " + d.Detail
		}
		lines = append(lines, line)
	}
	return strings.Join(lines, "\n")
}

// Write puts generated files under dir. Generators return slash-separated relative paths;
// one that climbs out of dir is refused rather than written elsewhere.
func Write(dir string, files map[string][]byte) error {
	for name, content := range files {
		rel := filepath.FromSlash(name)
		if !filepath.IsLocal(rel) {
			return fmt.Errorf("the generator produced a path outside the output directory: %q", name)
		}
		path := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(path, content, 0o644); err != nil {
			return err
		}
	}
	return nil
}
