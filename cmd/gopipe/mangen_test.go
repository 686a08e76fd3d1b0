//go:build !urfave_cli_no_docs

package main

import (
	"context"
	"errors"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"

	"github.com/gopipe/gopipe/cmd/gopipe/internal/command"
)

// TestManPageCurrent fails when gopipe.1, which gopipe --man prints, is not
// what urfave/cli makes of the command table; go generate (go test -run
// TestManPageCurrent -update) rewrites it. It needs urfave's man page
// writer, which a build with -tags urfave_cli_no_docs leaves out.
func TestManPageCurrent(t *testing.T) {
	want, err := manPage()
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile("gopipe.1", []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if strings.ReplaceAll(manText, "\r\n", "\n") != want {
		t.Errorf("gopipe.1 is stale: run go generate ./cmd/gopipe")
	}
}

// manPage is the man page urfave/cli makes from the app.
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
	// urfave makes each command a section (.SH) of its own: make them
	// subsections of COMMANDS, the page's last section.
	head, cmds, ok := strings.Cut(page, "\n.SH COMMANDS\n")
	if !ok {
		return "", errors.New("urfave's page has no COMMANDS")
	}
	// The synopsis is every way to call gopipe, in place of urfave's
	// "gopipe" and of the usage block it puts in the description.
	head, err = replaceSynopsis(head)
	if err != nil {
		return "", err
	}
	page = head + "\n.SH COMMANDS" + strings.ReplaceAll("\n"+cmds, "\n.SH ", "\n.SS ")
	for _, s := range []*command.Spec{installSpec, uninstallSpec} {
		page += "\n.SS " + s.Name + "\n.EX\n" + roffEscape(command.Help(s, "gopipe "+s.Name)) + ".EE\n"
	}
	for _, sec := range manSections {
		page += "\n\n.SH " + sec.Title + "\n" + roffSection(sec.Body)
	}
	// roff has no name for some characters the help uses (…): in ASCII.
	return strings.NewReplacer("…", "...", "‘", "'", "’", "'").Replace(page), nil
}

// replaceSynopsis puts the synopses of gopipe and of each command in the
// page's SYNOPSIS, and takes urfave's usage block out of DESCRIPTION.
func replaceSynopsis(head string) (string, error) {
	const urfave = "\n.SH SYNOPSIS\ngopipe\n"
	usage := "\n.PP\n\\fBUsage\\fP:\n\n.EX\n" + strings.Join(globalSynopsis, "\n") + "\n.EE\n"
	if !strings.Contains(head, urfave) || !strings.Contains(head, usage) {
		return "", errors.New("urfave's SYNOPSIS or usage block is not as expected: teach replaceSynopsis")
	}
	lines := append([]string(nil), globalSynopsis...)
	for _, c := range documented() {
		lines = append(lines, synopsis(c))
	}
	head = strings.Replace(head, urfave, "\n.SH SYNOPSIS\n.nf\n"+roffEscape(strings.Join(lines, "\n")+"\n")+".fi\n", 1)
	return strings.Replace(head, usage, "\n", 1), nil
}

// roffEscape makes text literal in roff: backslashes doubled, and a line
// that starts with a control character kept from being a request.
func roffEscape(text string) string {
	text = strings.ReplaceAll(text, `\`, `\\`)
	lines := strings.Split(text, "\n")
	for i, l := range lines {
		if strings.HasPrefix(l, ".") || strings.HasPrefix(l, "'") {
			lines[i] = `\&` + l
		}
	}
	return strings.Join(lines, "\n")
}

// roffSection is a section of manSections in roff: a paragraph, or, where
// lines are indented under a term, a tagged list (.TP) of them.
func roffSection(body string) string {
	var b strings.Builder
	lines := strings.Split(body, "\n")
	for i, l := range lines {
		switch {
		case strings.HasPrefix(l, "    "):
			b.WriteString(roffEscape(strings.TrimSpace(l)) + "\n")
		case isTerm(lines, i):
			b.WriteString(".TP\n\\fB" + roffEscape(l) + "\\fP\n")
		default:
			b.WriteString(roffEscape(l) + "\n")
		}
	}
	return b.String()
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
