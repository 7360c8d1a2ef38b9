package provserver

// noneMatch reports whether If-None-Match header values match etag (a strong
// entity tag, quoted), using the weak comparison RFC 9110 section 13.1.2
// prescribes for If-None-Match: W/"x" matches "x", and "*" matches any current
// representation. exact reports whether a listed entity tag itself matched, as
// opposed to "*" only. A malformed element matches nothing, so a bad header
// leads to a full 200 rather than a wrong 304. It does not allocate.
func noneMatch(values []string, etag string) (matched, exact bool) {
	for _, v := range values {
		for i := 0; i < len(v); {
			switch c := v[i]; {
			case c == ' ' || c == '\t' || c == ',':
				i++
				continue
			case c == '*':
				matched = true
				i++
				continue
			}
			if len(v)-i >= 2 && v[i] == 'W' && v[i+1] == '/' {
				i += 2
			}
			if i < len(v) && v[i] == '"' {
				end := i + 1
				for end < len(v) && v[end] != '"' {
					end++
				}
				if end == len(v) {
					break // unterminated: nothing more to match in this value
				}
				if v[i:end+1] == etag {
					return true, true
				}
				i = end + 1
			}
			// Skip the rest of this element, well-formed or not.
			for i < len(v) && v[i] != ',' {
				i++
			}
		}
	}
	return matched, false
}
