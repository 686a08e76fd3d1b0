package main

//go:generate go test -run ^TestCommandsMarkdown$ -update

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/gopipe/gopipe/cmd/gopipe/internal/command"
	"github.com/urfave/cli/v2"
)

// Documentation made from the command table, so that it cannot drift from
// the program: the man page (gopipe --man), shell completion scripts
// (gopipe --completion SHELL) and docs/commands.md (commandsMarkdown).

// documented returns the commands to document: those with a summary.
func documented() []*command.Spec {
	var cs []*command.Spec
	for _, c := range commands {
		if c.Summary != "" {
			cs = append(cs, c)
		}
	}
	return cs
}

// helpText is what `gopipe NAME --help` prints.
func helpText(c *command.Spec) string { return command.Help(c, "gopipe "+c.Name) }

// synopsis is c's usage line, less "Usage: ".
func synopsis(c *command.Spec) string { return "gopipe " + c.Name + " " + c.Synopsis }

// longOpts returns c's long options as "--name", sorted: those that mean
// something on this OS, for the completion scripts, which run here.
func longOpts(c *command.Spec) []string {
	var names []string
	for _, o := range completable(c) {
		if o.Long != "" {
			names = append(names, "--"+o.Long)
		}
	}
	sort.Strings(names)
	return names
}

// completable is c's options less those for another OS, which it refuses.
func completable(c *command.Spec) []command.Option {
	var opts []command.Option
	for _, o := range c.AllOptions() {
		if o.ForThisOS() {
			opts = append(opts, o)
		}
	}
	return opts
}

// globalOpts are gopipe's own options, completed in place of a command.
var globalOpts = []string{"--completion", "--help", "--install", "--list", "--man", "--version"}

var shells = []string{"bash", "zsh", "fish", "powershell"}

// man prints gopipe's man page (section 1) in roff, made by urfave/cli
// from the app, whose commands and flags come from the command table.
func man(e *command.Env, args []string) int {
	if len(args) > 0 {
		fmt.Fprintln(e.Stderr, "gopipe: --man takes no arguments")
		return command.StatusUsage
	}
	page, err := manPage()
	if err != nil {
		fmt.Fprintf(e.Stderr, "gopipe: %v\n", err)
		return command.StatusFailure
	}
	return e.Print(page)
}

func manPage() (string, error) {
	var status int
	app := newApp(command.NewEnv(context.Background(), strings.NewReader(""), io.Discard, io.Discard), &status, "")
	app.Description = "Each COMMAND is also run by a link to gopipe named after it (gopipe --install DIR makes them), " +
		"as busybox applets are. The commands modelled on GNU tools (mkfifo, cat, tee) parse options as GNU does. " +
		"Every command's synopsis, description and options are below under COMMANDS; gopipe COMMAND --help shows them too."
	var shown []*cli.Command
	for i, c := range commands {
		if c.Summary == "" {
			continue
		}
		// urfave's page shows a command's usage text, then its flags:
		// the usage text carries the synopsis and the table's prose.
		cmd := app.Commands[i]
		invoked := "gopipe " + c.Name
		text := strings.TrimSpace(strings.ReplaceAll(c.Intro, "%[1]s", invoked))
		if c.Outro != "" {
			text += "\n\n" + strings.TrimSpace(strings.ReplaceAll(c.Outro, "%[1]s", invoked))
		}
		cmd.UsageText = synopsis(c) + "\n\n" + text
		shown = append(shown, cmd)
	}
	app.Commands = shown
	page, err := app.ToManWithSection(1)
	if err != nil {
		return "", err
	}
	// urfave writes a value as ="": name it as the table does.
	for _, c := range commands {
		for _, o := range c.AllOptions() {
			value := `=\fI` + o.ArgName + `\fP`
			switch o.Arg {
			case command.NoArg:
				continue
			case command.OptionalArg:
				value = "[" + value + "]"
			}
			page = strings.ReplaceAll(page, `\fB`+flagNames(o)+`\fP="":`, `\fB`+flagNames(o)+`\fP`+value+`:`)
		}
	}
	// roff has no name for some characters the help uses (…): in ASCII.
	page = strings.NewReplacer("…", "...", "‘", "'", "’", "'").Replace(page)
	// urfave makes each command a section (.SH) of its own: make them
	// subsections of COMMANDS, the page's last section.
	head, cmds, ok := strings.Cut(page, "\n.SH COMMANDS\n")
	if !ok {
		return page, nil
	}
	return head + "\n.SH COMMANDS" + strings.ReplaceAll("\n"+cmds, "\n.SH ", "\n.SS "), nil
}

// flagNames is how urfave's man page names option o: "--mode, -m".
func flagNames(o command.Option) string {
	switch {
	case o.Long == "":
		return "-" + string(o.Short)
	case o.Short == 0:
		return "--" + o.Long
	}
	return "--" + o.Long + ", -" + string(o.Short)
}

// completion prints a completion script for the shell named in args.
func completion(e *command.Env, args []string) int {
	if len(args) != 1 {
		fmt.Fprintf(e.Stderr, "gopipe: usage: gopipe --completion %s\n", strings.Join(shells, "|"))
		return 2
	}
	var script string
	switch args[0] {
	case "bash":
		script = bashCompletion()
	case "zsh":
		script = zshCompletion()
	case "fish":
		script = fishCompletion()
	case "powershell", "pwsh":
		script = powershellCompletion()
	default:
		fmt.Fprintf(e.Stderr, "gopipe: --completion: unknown shell %s (want %s)\n", command.Quote(args[0]), strings.Join(shells, ", "))
		return 2
	}
	return e.Print(script)
}

// names returns the command's name and aliases.
func names(c *command.Spec) []string { return c.Names() }

func bashCompletion() string {
	var b strings.Builder
	var words []string
	for _, c := range documented() {
		words = append(words, names(c)...)
	}
	words = append(words, globalOpts...)
	fmt.Fprintf(&b, `# bash completion for gopipe; generated by 'gopipe --completion bash'.
_gopipe() {
    local cur=${COMP_WORDS[COMP_CWORD]} opts=
    COMPREPLY=()
    if [[ $COMP_CWORD -eq 1 ]]; then
        COMPREPLY=($(compgen -W '%s' -- "$cur"))
        return
    fi
    case ${COMP_WORDS[1]} in
        --completion) [[ $COMP_CWORD -eq 2 ]] && COMPREPLY=($(compgen -W '%s' -- "$cur")); return ;;
`, strings.Join(words, " "), strings.Join(shells, " "))
	for _, c := range documented() {
		fmt.Fprintf(&b, "        %s) opts='%s' ;;\n", strings.Join(names(c), "|"), strings.Join(longOpts(c), " "))
	}
	b.WriteString(`    esac
    if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "$opts" -- "$cur"))
    fi
}
complete -o default -F _gopipe gopipe
`)
	return b.String()
}

// zshQuote quotes s for zsh (or POSIX sh) in single quotes.
func zshQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

func zshCompletion() string {
	var b strings.Builder
	b.WriteString(`#compdef gopipe
# zsh completion for gopipe; generated by 'gopipe --completion zsh'.
_gopipe() {
    local -a cmds opts
    cmds=(
`)
	for _, c := range documented() {
		for _, n := range names(c) {
			fmt.Fprintf(&b, "        %s\n", zshQuote(n+":"+c.Summary))
		}
	}
	fmt.Fprintf(&b, `    )
    if (( CURRENT == 2 )); then
        if [[ $PREFIX == -* ]]; then
            compadd -- %s
        else
            _describe -t commands 'gopipe command' cmds
        fi
        return
    fi
    case $words[2] in
        --completion) (( CURRENT == 3 )) && compadd -- %s; return ;;
`, strings.Join(globalOpts, " "), strings.Join(shells, " "))
	for _, c := range documented() {
		fmt.Fprintf(&b, "        %s) opts=(%s) ;;\n", strings.Join(names(c), "|"), strings.Join(longOpts(c), " "))
	}
	b.WriteString(`    esac
    if [[ $PREFIX == -* ]]; then
        compadd -a opts
    else
        _files
    fi
}
if [[ $funcstack[1] == _gopipe ]]; then
    _gopipe "$@"
else
    compdef _gopipe gopipe
fi
`)
	return b.String()
}

func fishCompletion() string {
	var b strings.Builder
	b.WriteString("# fish completion for gopipe; generated by 'gopipe --completion fish'.\n")
	b.WriteString("complete -c gopipe -n __fish_use_subcommand -f\n")
	for _, o := range globalOpts {
		fmt.Fprintf(&b, "complete -c gopipe -n __fish_use_subcommand -l %s\n", strings.TrimPrefix(o, "--"))
	}
	fmt.Fprintf(&b, "complete -c gopipe -n '__fish_seen_argument -l completion' -f -a '%s'\n", strings.Join(shells, " "))
	for _, c := range documented() {
		for _, n := range names(c) {
			fmt.Fprintf(&b, "complete -c gopipe -n __fish_use_subcommand -a %s -d %s\n", n, zshQuote(c.Summary))
		}
		for _, o := range completable(c) {
			if o.Long == "" {
				continue
			}
			req := ""
			switch {
			case o.Values != nil:
				req = " -x -a " + zshQuote(strings.Join(o.Values, " "))
			case o.Arg == command.RequiredArg:
				req = " -r"
			}
			fmt.Fprintf(&b, "complete -c gopipe -n '__fish_seen_subcommand_from %s' -l %s%s\n", strings.Join(names(c), " "), o.Long, req)
		}
	}
	return b.String()
}

func powershellCompletion() string {
	var b strings.Builder
	b.WriteString(`# PowerShell completion for gopipe; generated by 'gopipe --completion powershell'.
Register-ArgumentCompleter -Native -CommandName gopipe, gopipe.exe -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)
    $commands = @{
`)
	for _, c := range documented() {
		for _, n := range names(c) {
			fmt.Fprintf(&b, "        '%s' = @(%s)\n", n, psList(longOpts(c)))
		}
	}
	fmt.Fprintf(&b, `    }
    $global = @(%s)
    $words = @($commandAst.CommandElements | Select-Object -Skip 1 | ForEach-Object { $_.ToString() })
    $n = $words.Count
    if ($wordToComplete -ne '') { $n-- }
    if ($n -le 0) {
        $candidates = @($commands.Keys) + $global
    } elseif ($words[0] -eq '--completion') {
        $candidates = if ($n -eq 1) { @(%s) } else { @() }
    } elseif ($commands.ContainsKey($words[0]) -and $wordToComplete -like '-*') {
        $candidates = $commands[$words[0]]
    } else {
        return
    }
    $candidates | Where-Object { $_ -like "$wordToComplete*" } | Sort-Object | ForEach-Object {
        [System.Management.Automation.CompletionResult]::new($_, $_, 'ParameterValue', $_)
    }
}
`, psList(globalOpts), psList(shells))
	return b.String()
}

// psList is words as the items of a PowerShell array, single-quoted.
func psList(words []string) string {
	quoted := make([]string, len(words))
	for i, w := range words {
		quoted[i] = "'" + w + "'"
	}
	return strings.Join(quoted, ", ")
}

// commandsMarkdown is docs/commands.md: a section for each command with
// its synopsis and --help text.
func commandsMarkdown() string {
	var b strings.Builder
	b.WriteString(`# gopipe commands

<!-- Generated from the program by TestCommandsMarkdown: do not edit.
     Regenerate with: go generate ./cmd/gopipe -->

Run a command as ` + "`gopipe COMMAND [ARG]...`" + `, or through a link named after
it (` + "`gopipe --install DIR`" + ` makes them). ` + "`gopipe --man`" + ` prints a man page
and ` + "`gopipe --completion bash|zsh|fish|powershell`" + ` a completion script.

`)
	for _, c := range documented() {
		fmt.Fprintf(&b, "- [%s](#%s): %s\n", c.Name, c.Name, c.Summary)
	}
	for _, c := range documented() {
		fmt.Fprintf(&b, "\n## %s\n\n%s.", c.Name, upperFirst(c.Summary))
		if len(c.Aliases) > 0 {
			fmt.Fprintf(&b, " Also called %s.", strings.Join(c.Aliases, ", "))
		}
		fmt.Fprintf(&b, "\n\n```\n%s\n```\n\n`gopipe %s --help`:\n\n```\n%s```\n", synopsis(c), c.Name, helpText(c))
	}
	return b.String()
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
