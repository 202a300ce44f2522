// Command pulumi-language-python is a small Python language host for the Pulumi engine.
//
// The upstream host lives in its own Go module with no release tags, and the module proxy
// reachable from our machines serves no version of it, so `make setup` builds this one
// instead. It implements what `pulumi preview/up/destroy`, the Automation API and Python
// policy packs need: running a program (Run) and running a plugin such as a policy pack or a
// source-based provider (RunPlugin) with the interpreter of the project's virtualenv; and what
// `pulumi package gen-sdk` and `pulumi package add` need (GeneratePackage, Link: codegen.go).
package main

import (
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	"github.com/pulumi/pulumi/sdk/v3/go/common/version"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

// runnerScript wires the Pulumi runtime to the engine and runs the user's program.
//
//go:embed runner.py
var runnerScript string

// alreadyReported is the exit code with which the runner says it printed the error itself.
const alreadyReported = 32

type languageHost struct {
	pulumirpc.UnimplementedLanguageRuntimeServer
	engineAddress string
}

func main() {
	args := os.Args[1:]
	if len(args) == 0 {
		fmt.Fprintln(os.Stderr, "usage: pulumi-language-python ENGINE_ADDRESS")
		os.Exit(2)
	}
	host := &languageHost{engineAddress: args[len(args)-1]}
	// The engine stops plugins with SIGINT and waits 5 s before killing them. Subscribing also
	// un-ignores SIGINT when our parent started us with it ignored (as background jobs are).
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, os.Interrupt, syscall.SIGTERM)
	stop := make(chan bool)
	go func() {
		<-signals
		close(stop)
	}()
	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
		Init: func(srv *grpc.Server) error {
			pulumirpc.RegisterLanguageRuntimeServer(srv, host)
			return nil
		},
		Cancel: stop,
	})
	if err != nil {
		fmt.Fprintf(os.Stderr, "pulumi-language-python: could not start: %v\n", err)
		os.Exit(1)
	}
	// The engine reads the port from our first line of output.
	fmt.Printf("%d\n", handle.Port)
	if err := <-handle.Done; err != nil {
		fmt.Fprintf(os.Stderr, "pulumi-language-python: %v\n", err)
		os.Exit(1)
	}
}

// interpreter describes how to start Python for one program or plugin.
type interpreter struct {
	python string
	env    []string
}

// interpreterFor picks the virtualenv named by the project's `virtualenv` option (relative to
// the project root), else $PULUMI_PYTHON_CMD, else python3 on PATH.
func interpreterFor(info *pulumirpc.ProgramInfo) (interpreter, error) {
	venv := optionString(info.GetOptions(), "virtualenv")
	if venv == "" {
		if cmd := os.Getenv("PULUMI_PYTHON_CMD"); cmd != "" {
			return interpreter{python: cmd}, nil
		}
		return interpreter{python: "python3"}, nil
	}
	if !filepath.IsAbs(venv) {
		venv = filepath.Join(info.GetRootDirectory(), venv)
	}
	python := filepath.Join(venv, "bin", "python")
	if _, err := os.Stat(python); err != nil {
		return interpreter{}, fmt.Errorf(
			"the 'virtualenv' option in Pulumi.yaml names %q, which is not a virtual environment "+
				"(no bin/python); create it with `python3 -m venv %s` and install the program's "+
				"dependencies into it", venv, venv)
	}
	env := []string{
		"VIRTUAL_ENV=" + venv,
		"PATH=" + filepath.Join(venv, "bin") + string(os.PathListSeparator) + os.Getenv("PATH"),
		"PYTHONHOME=",
	}
	return interpreter{python: python, env: env}, nil
}

func optionString(options *structpb.Struct, key string) string {
	if options == nil {
		return ""
	}
	if value, ok := options.GetFields()[key]; ok {
		return value.GetStringValue()
	}
	return ""
}

func (h *languageHost) Handshake(
	_ context.Context, _ *pulumirpc.LanguageHandshakeRequest,
) (*pulumirpc.LanguageHandshakeResponse, error) {
	return &pulumirpc.LanguageHandshakeResponse{}, nil
}

func (h *languageHost) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: strings.TrimPrefix(version.Version, "v")}, nil
}

// GetRequiredPlugins and GetRequiredPackages report none: the only plugin Python dynamic
// providers need (pulumi-resource-pulumi-python) is found beside the CLI when first used.
func (h *languageHost) GetRequiredPlugins(
	context.Context, *pulumirpc.GetRequiredPluginsRequest,
) (*pulumirpc.GetRequiredPluginsResponse, error) {
	return &pulumirpc.GetRequiredPluginsResponse{}, nil
}

func (h *languageHost) GetRequiredPackages(
	context.Context, *pulumirpc.GetRequiredPackagesRequest,
) (*pulumirpc.GetRequiredPackagesResponse, error) {
	return &pulumirpc.GetRequiredPackagesResponse{}, nil
}

func (h *languageHost) GetProgramDependencies(
	context.Context, *pulumirpc.GetProgramDependenciesRequest,
) (*pulumirpc.GetProgramDependenciesResponse, error) {
	return &pulumirpc.GetProgramDependenciesResponse{}, nil
}

func (h *languageHost) About(_ context.Context, req *pulumirpc.AboutRequest) (*pulumirpc.AboutResponse, error) {
	python, err := interpreterFor(req.GetInfo())
	if err != nil {
		return nil, err
	}
	out, err := exec.Command(python.python, "--version").Output()
	if err != nil {
		return nil, err
	}
	fields := strings.Fields(string(out))
	return &pulumirpc.AboutResponse{Executable: python.python, Version: fields[len(fields)-1]}, nil
}

// InstallDependencies checks the interpreter; installing packages is the project's own job
// (`make setup` in this repository), so nothing is downloaded here.
func (h *languageHost) InstallDependencies(
	req *pulumirpc.InstallDependenciesRequest,
	server pulumirpc.LanguageRuntime_InstallDependenciesServer,
) error {
	python, err := interpreterFor(req.GetInfo())
	if err != nil {
		return err
	}
	message := fmt.Sprintf("Using %s; install the program's dependencies into it yourself.\n", python.python)
	return server.Send(&pulumirpc.InstallDependenciesResponse{Stdout: []byte(message)})
}

// Run executes the program and waits for it; its output goes to our own stdout/stderr,
// which the engine forwards.
func (h *languageHost) Run(ctx context.Context, req *pulumirpc.RunRequest) (*pulumirpc.RunResponse, error) {
	python, err := interpreterFor(req.GetInfo())
	if err != nil {
		return &pulumirpc.RunResponse{Error: err.Error()}, nil
	}
	runner, err := writeRunner()
	if err != nil {
		return nil, err
	}
	defer os.Remove(runner)

	program := req.GetInfo().GetProgramDirectory()
	if entry := req.GetInfo().GetEntryPoint(); entry != "" && entry != "." {
		program = filepath.Join(program, entry)
	}
	args := []string{
		"-u", runner,
		"--monitor", req.GetMonitorAddress(),
		"--engine", h.engineAddress,
		"--project", req.GetProject(),
		"--stack", req.GetStack(),
		"--organization", req.GetOrganization(),
		"--root_directory", req.GetInfo().GetRootDirectory(),
		"--pwd", req.GetPwd(),
		"--parallel", strconv.Itoa(int(req.GetParallel())),
		"--dry_run", strconv.FormatBool(req.GetDryRun()),
		program,
	}
	args = append(args, req.GetArgs()...)

	configJSON, err := marshalConfig(req.GetConfig())
	if err != nil {
		return nil, err
	}
	secretKeysJSON, err := marshalSecretKeys(req.GetConfigSecretKeys())
	if err != nil {
		return nil, err
	}

	cmd := exec.CommandContext(ctx, python.python, args...)
	cmd.Dir = req.GetPwd()
	cmd.Stdout = os.Stdout
	cmd.Stderr = os.Stderr
	cmd.Env = append(os.Environ(), python.env...)
	cmd.Env = append(cmd.Env,
		"PULUMI_CONFIG="+configJSON,
		"PULUMI_CONFIG_SECRET_KEYS="+secretKeysJSON,
		"PULUMI_PROJECT="+req.GetProject(),
		"PULUMI_STACK="+req.GetStack(),
		"PULUMI_DRY_RUN="+strconv.FormatBool(req.GetDryRun()),
		"PULUMI_PARALLEL="+strconv.Itoa(int(req.GetParallel())),
		"PULUMI_MONITOR="+req.GetMonitorAddress(),
		"PULUMI_ENGINE="+h.engineAddress,
		"PULUMI_ORGANIZATION="+req.GetOrganization(),
	)
	err = cmd.Run()
	var exitErr *exec.ExitError
	switch {
	case err == nil:
		return &pulumirpc.RunResponse{}, nil
	case errors.As(err, &exitErr) && exitErr.ExitCode() == alreadyReported:
		return &pulumirpc.RunResponse{Bail: true}, nil
	case errors.As(err, &exitErr):
		return &pulumirpc.RunResponse{
			Error: fmt.Sprintf("Program exited with non-zero exit code: %d", exitErr.ExitCode()),
		}, nil
	default:
		return &pulumirpc.RunResponse{Error: fmt.Sprintf("could not start %s: %v", python.python, err)}, nil
	}
}

// RunPlugin runs a plugin written in Python (a policy pack's directory, whose __main__.py
// serves the analyzer) and streams its output back to the engine.
func (h *languageHost) RunPlugin(
	req *pulumirpc.RunPluginRequest, server pulumirpc.LanguageRuntime_RunPluginServer,
) error {
	python, err := interpreterFor(req.GetInfo())
	if err != nil {
		return err
	}
	program := req.GetInfo().GetProgramDirectory()
	if entry := req.GetInfo().GetEntryPoint(); entry != "" && entry != "." {
		program = filepath.Join(program, entry)
	}
	cmd := exec.CommandContext(server.Context(), python.python, append([]string{"-u", program}, req.GetArgs()...)...)
	cmd.Dir = req.GetPwd()
	cmd.Env = append(append(os.Environ(), req.GetEnv()...), python.env...)

	var sendLock sync.Mutex
	send := func(response *pulumirpc.RunPluginResponse) error {
		sendLock.Lock()
		defer sendLock.Unlock()
		return server.Send(response)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return status.Errorf(codes.FailedPrecondition, "could not start %s: %v", python.python, err)
	}
	var pumps sync.WaitGroup
	pump := func(reader io.Reader, wrap func([]byte) *pulumirpc.RunPluginResponse) {
		defer pumps.Done()
		buffer := make([]byte, 32*1024)
		for {
			n, readErr := reader.Read(buffer)
			if n > 0 {
				chunk := append([]byte(nil), buffer[:n]...)
				if send(wrap(chunk)) != nil {
					return
				}
			}
			if readErr != nil {
				return
			}
		}
	}
	pumps.Add(2)
	go pump(stdout, func(b []byte) *pulumirpc.RunPluginResponse {
		return &pulumirpc.RunPluginResponse{Output: &pulumirpc.RunPluginResponse_Stdout{Stdout: b}}
	})
	go pump(stderr, func(b []byte) *pulumirpc.RunPluginResponse {
		return &pulumirpc.RunPluginResponse{Output: &pulumirpc.RunPluginResponse_Stderr{Stderr: b}}
	})
	pumps.Wait()

	exitCode := 0
	if err := cmd.Wait(); err != nil {
		var exitErr *exec.ExitError
		if !errors.As(err, &exitErr) {
			return err
		}
		exitCode = exitErr.ExitCode()
	}
	return send(&pulumirpc.RunPluginResponse{
		Output: &pulumirpc.RunPluginResponse_Exitcode{Exitcode: int32(exitCode)},
	})
}

// writeRunner puts the embedded runner script in a private temporary file.
func writeRunner() (string, error) {
	file, err := os.CreateTemp("", "pulumi-python-runner-*.py")
	if err != nil {
		return "", err
	}
	defer file.Close()
	if _, err := file.WriteString(runnerScript); err != nil {
		return "", err
	}
	return file.Name(), nil
}

func marshalConfig(config map[string]string) (string, error) {
	if config == nil {
		config = map[string]string{}
	}
	encoded, err := json.Marshal(config)
	return string(encoded), err
}

func marshalSecretKeys(keys []string) (string, error) {
	if keys == nil {
		keys = []string{}
	}
	encoded, err := json.Marshal(keys)
	return string(encoded), err
}
