//go:build unix

package fifo

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
	if ep := endpointPath(name); ep != name {
		if info, err := statInfo(name, ep); err == nil {
			info.Namespace = NamespaceEndpoints
			out = append(out, info)
		}
	}
	if len(out) == 0 {
		return nil, err
	}
	return out, nil
}
