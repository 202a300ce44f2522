// Command vcf-sdkgen generates the Node.js or Go SDK of a Pulumi package from its schema.json.
//
// `pulumi package gen-sdk` asks each language's host to generate, and the Node.js and Go hosts
// are not served to our machines, so this calls the same upstream generators directly. Python
// SDKs come from our Python host through the CLI instead.
//
//	vcf-sdkgen --schema schema.json --language nodejs|go --out DIR [--local]
package main

import (
	"flag"
	"fmt"
	"os"

	gogen "github.com/pulumi/pulumi/pkg/v3/codegen/go"
	"github.com/pulumi/pulumi/pkg/v3/codegen/nodejs"

	"github.com/vcf-provider/vcf-provider/tools/pulumi-cli/internal/sdkfiles"
)

// tool names the generator in the "do not edit" header of each file.
const tool = "vcf-sdkgen"

func main() {
	// A flag set of our own: the Pulumi SDK registers glog's flags on the default one.
	flags := flag.NewFlagSet("vcf-sdkgen", flag.ExitOnError)
	schemaPath := flags.String("schema", "", "the package's schema.json")
	language := flags.String("language", "", "nodejs or go")
	out := flags.String("out", "", "the directory to write the SDK into (created if missing)")
	local := flags.Bool("local", false,
		"generate as 'pulumi package add' does: a package for one project, not for publishing")
	_ = flags.Parse(os.Args[1:])
	if *schemaPath == "" || *out == "" || flags.NArg() != 0 {
		fmt.Fprintln(os.Stderr, "usage: vcf-sdkgen --schema schema.json --language nodejs|go --out DIR [--local]")
		flags.PrintDefaults()
		os.Exit(2)
	}
	if err := run(*schemaPath, *language, *out, *local); err != nil {
		fmt.Fprintf(os.Stderr, "vcf-sdkgen: %v\n", err)
		os.Exit(1)
	}
}

func run(schemaPath, language, out string, local bool) error {
	raw, err := os.ReadFile(schemaPath)
	if err != nil {
		return err
	}
	// Checked before binding, so a typo does not first report schema errors.
	if language != "nodejs" && language != "go" {
		return fmt.Errorf("--language must be nodejs or go, not %q", language)
	}
	pkg, _, err := sdkfiles.Bind(raw, sdkfiles.NoLoader{})
	if err != nil {
		return err
	}
	// As `pulumi package add` does: with SupportPack the SDK is a module of its own that
	// carries the schema's version (a go.mod for Go; a versioned package.json for Node.js).
	pkg.SupportPack = pkg.SupportPack || local
	var files map[string][]byte
	switch language {
	case "nodejs":
		files, err = nodejs.GeneratePackage(tool, pkg, nil, nil, local, sdkfiles.NoLoader{})
	case "go":
		files, err = gogen.GeneratePackage(tool, pkg, nil)
	}
	if err != nil {
		return fmt.Errorf("generating the %s SDK: %w", language, err)
	}
	return sdkfiles.Write(out, files)
}
