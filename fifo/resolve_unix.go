//go:build unix

package fifo

import (
	"errors"
	"io/fs"
	"path/filepath"
)

// hasSDDL: Unix has no security descriptors; Config.SDDL is refused.
const hasSDDL = false

// lookup finds what name means as a file and, for a bare name, as an
// endpoint in the private directory (see Lookup).
func lookup(name string) ([]Info, error) {
	var out []Info
	info, err := statInfo(name, name)
	if err == nil {
		out = append(out, info)
	}
	if ep := endpointPath(name); isBare(name) {
		// What is in the private directory is ours only if the directory
		// is: describe nothing from a planted one, but say why.
		info, eerr := endpointInfo(name, ep)
		switch {
		case eerr == nil:
			out = append(out, info)
		case !errors.Is(eerr, fs.ErrNotExist) && len(out) == 0:
			err = eerr
		}
	}
	if len(out) == 0 {
		return nil, err
	}
	return out, nil
}

// endpointInfo describes the endpoint name at path, in the private
// directory, after checking that directory as Dial does.
func endpointInfo(name, path string) (Info, error) {
	if err := checkPrivateDir("inspect", filepath.Dir(path)); err != nil {
		return Info{}, err
	}
	info, err := statInfo(name, path)
	info.Namespace = NamespaceEndpoints
	return info, err
}
