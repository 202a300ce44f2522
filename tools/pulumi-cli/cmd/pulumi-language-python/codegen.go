package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/pulumi/pulumi/pkg/v3/codegen/python"
	"github.com/pulumi/pulumi/pkg/v3/codegen/schema"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"

	"github.com/vcf-provider/vcf-provider/tools/pulumi-cli/internal/sdkfiles"
)

// GeneratePackage serves `pulumi package gen-sdk --language python` and the generation step of
// `pulumi package add`, with the upstream Python generator.
func (h *languageHost) GeneratePackage(
	_ context.Context, req *pulumirpc.GeneratePackageRequest,
) (*pulumirpc.GeneratePackageResponse, error) {
	// The engine serves schemas of packages ours refers to; the generator asks it through this.
	loader, err := schema.NewLoaderClient(req.GetLoaderTarget())
	if err != nil {
		return nil, err
	}
	defer loader.Close()

	pkg, diags, err := sdkfiles.Bind([]byte(req.GetSchema()), loader)
	if err != nil {
		if diags.HasErrors() {
			// Reported as diagnostics so the CLI shows each with its place in the schema.
			return &pulumirpc.GeneratePackageResponse{
				Diagnostics: plugin.HclDiagnosticsToRPCDiagnostics(diags),
			}, nil
		}
		return nil, err
	}
	files, err := python.GeneratePackage("pulumi-language-python", pkg, req.GetExtraFiles(), loader)
	if err != nil {
		return nil, err
	}
	if err := sdkfiles.Write(req.GetDirectory(), files); err != nil {
		return nil, err
	}
	return &pulumirpc.GeneratePackageResponse{
		Diagnostics: plugin.HclDiagnosticsToRPCDiagnostics(diags),
	}, nil
}

// Link serves the last step of `pulumi package add`: making the SDK it generated under the
// project importable. With a virtualenv named in Pulumi.yaml we pip-install the SDK into it
// (putting its directory on sys.path is not enough: the SDK reads its own version from the
// installed distribution's metadata), and list it in requirements.txt when the project has one,
// so a virtualenv made afresh from that file gets it too. Our InstallDependencies installs
// nothing, so this is where the SDK lands; `package add` links again after each regeneration.
func (h *languageHost) Link(ctx context.Context, req *pulumirpc.LinkRequest) (*pulumirpc.LinkResponse, error) {
	info := req.GetInfo()
	root := info.GetRootDirectory()
	hasVenv := optionString(info.GetOptions(), "virtualenv") != ""
	python, err := interpreterFor(info)
	if err != nil {
		return nil, err
	}
	var instructions []string
	for _, dep := range req.GetPackages() {
		sdk := dep.GetPath()
		if !filepath.IsAbs(sdk) {
			sdk = filepath.Join(root, sdk)
		}
		module, err := importName(sdk)
		if err != nil {
			return nil, err
		}
		if err := addRequirement(root, dep.GetPath()); err != nil {
			return nil, err
		}
		if !hasVenv {
			// Never install into whatever python3 is on PATH: that is someone else's environment.
			instructions = append(instructions, fmt.Sprintf(
				"Pulumi.yaml names no virtualenv, so nothing was installed: run `python -m pip install %s` "+
					"with your program's Python, then: import %s", sdk, module))
			continue
		}
		if err := pipInstall(ctx, python, sdk); err != nil {
			return nil, err
		}
		instructions = append(instructions, "import "+module)
	}
	return &pulumirpc.LinkResponse{ImportInstructions: strings.Join(instructions, "\n")}, nil
}

// importName finds the one Python package (a directory with __init__.py) the generator wrote
// at the top of an SDK, e.g. pulumi_vcf.
func importName(sdk string) (string, error) {
	inits, err := filepath.Glob(filepath.Join(sdk, "*", "__init__.py"))
	if err != nil {
		return "", err
	}
	if len(inits) != 1 {
		return "", fmt.Errorf("expected one Python package in the SDK at %s, found %d", sdk, len(inits))
	}
	return filepath.Base(filepath.Dir(inits[0])), nil
}

// addRequirement appends the SDK's path (as given, relative to the project) to the project's
// requirements.txt if it has one and does not list it yet.
func addRequirement(root, sdkPath string) error {
	file := filepath.Join(root, "requirements.txt")
	content, err := os.ReadFile(file)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	line := "./" + filepath.ToSlash(filepath.Clean(sdkPath))
	for _, existing := range strings.Split(string(content), "\n") {
		if strings.TrimSpace(existing) == line {
			return nil
		}
	}
	if len(content) > 0 && !strings.HasSuffix(string(content), "\n") {
		line = "\n" + line
	}
	return os.WriteFile(file, append(content, []byte(line+"\n")...), 0o644)
}

// pipInstall installs one SDK directory. --no-deps: the SDK needs only pulumi and what pulumi
// brings, which a program's virtualenv has, and this way adding a package downloads nothing
// but the build backend pip may need.
func pipInstall(ctx context.Context, python interpreter, sdk string) error {
	cmd := exec.CommandContext(ctx, python.python, "-m", "pip", "install", "--quiet", "--no-deps",
		"--force-reinstall", sdk)
	cmd.Env = append(os.Environ(), python.env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("installing the SDK at %s with `%s -m pip install` failed: %w\n%s",
			sdk, python.python, err, out)
	}
	return nil
}
