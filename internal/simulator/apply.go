package simulator

import "time"

// ApplyResult is what the device made of one file.
type ApplyResult struct {
	Bytes        int  // bytes received; the limit + 1 for a file over the limit, which is not read further
	Applied      bool // the file was applied
	ItemsApplied int  // SYMB_ITEMs applied (0 when ignored)
	Ignored      bool // the whole file was ignored
	IgnoreReason IgnoreReason
	Errors       []Problem // why the file was ignored
	Warnings     []Problem // what was accepted but is suspicious
}

// apply parses data and, if the device accepts it, applies it at now and arms the
// registration window. The caller holds d.mu and has advanced the device to now.
func (d *Device) apply(data []byte, now time.Time) ApplyResult {
	res := ApplyResult{Bytes: len(data)}
	f, ferr := parseFile(data, d.mac, d.maxFileSize)
	var warnings problemList
	warnings.addAll(f.Warnings)
	if ferr != nil {
		return d.ignore(res, ferr, warnings, now)
	}

	p := planFile(f)
	warnings.addAll(p.warnings.list())
	if !p.errors.empty() {
		return d.ignore(res, fileError(ReasonMalformedItems, p.errors.list()...), warnings, now)
	}

	for _, change := range p.changes {
		change(&d.db)
	}
	warnings.addAll(reservationWarnings(&d.db))
	res.Applied = true
	res.ItemsApplied = len(f.Items)
	res.Warnings = warnings.list()
	d.events.add(newEvent(now, EventFileApplied, "%d items, %d warnings", res.ItemsApplied, len(res.Warnings)))
	d.arm(now)
	return res
}

func (d *Device) ignore(res ApplyResult, ferr *FileError, warnings problemList, now time.Time) ApplyResult {
	res.Ignored = true
	res.IgnoreReason = ferr.Reason
	res.Errors = ferr.Problems
	res.Warnings = warnings.list()
	d.events.add(newEvent(now, EventFileIgnored, "%s", ferr.Error()))
	return res
}
