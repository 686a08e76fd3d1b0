package main

import "errors"

// shellWords splits a command line into words exactly as run does (the
// same parser: quotes and backslashes, no expansions, unquoted globs
// refused), for serve --exec, which runs one simple command.
func shellWords(src string) ([]string, error) {
	n, err := parseOneLiner(src)
	if err != nil {
		return nil, err
	}
	p, ok := n.(*pipeNode)
	if !ok || len(p.stages) != 1 || len(p.stages[0].Redirects) != 0 {
		return nil, errors.New("one command, without | ; && || or redirections")
	}
	return p.stages[0].Args, nil
}
