// Package simulator is a stand-in for one Gigaset N720 DECT Manager (N720 DM PRO), so
// that the operator can be exercised end to end without the hardware.
//
// A Device fetches its provisioning file the way the N720 does (GET <server>/<MAC>.xml
// with its User-Agent, the HTTP Digest identity sequence and If-None-Match), reads it
// with its own parser, applies it to an in-memory database (the base settings and the
// fixed table of 100 slots, each one SIP account and one DECT handset) and simulates
// IPUI pre-registration of handsets on a clock that the caller controls. Everything it
// does is written to an event log for demos and test assertions.
//
// The package deliberately shares no code with the renderer (internal/gigaset) or with
// the provisioning server: its parser, its parameter table and its Digest client are
// written again from the device reference (docs/device.md), so that a bug on the
// producing side cannot hide behind a helper that both sides use.
//
// # What is simulated as documented by Gigaset
//
//   - The file: ISO-8859-1, root ProviderFrame/Provider, MAC_ADDRESS that must name this
//     device (otherwise the whole file is ignored), SYMB_ITEMs with ID, class="symb_item"
//     and a value that is a quoted string, an integer (decimal or 0x hex) or a byte list.
//   - Items the file does not mention keep their current values.
//   - The slot table: BS_VOIP_Data.astVoipAccounts[x] for x = 0..99, and the IPUI
//     reservation of each slot (0xFF x5 = none, the factory default).
//   - The download: User-Agent "Gigaset N720 DM PRO/<firmware>;<MAC>"; first request
//     without credentials, then the built-in identity (user = MAC, password = MAC-ID),
//     then the configured credentials; HTTP Digest only.
//   - Registration: the window opens at its start but no earlier than 30 s after a file
//     was applied, handsets that conflict with the new reservations are deregistered
//     15 s after it, the window closes at its end or once every reserved handset has
//     registered, and no window opens while no reserved handset waits. PIN 0000 means
//     that no PIN is asked.
//
// # Assumptions (unconfirmed; each is a decision made here, not a device fact)
//
//   - A file with one malformed item is ignored as a whole, like a file for another MAC.
//     A device that skipped only the bad item would leave some settings stale without
//     anyone noticing; ignoring everything makes a renderer bug impossible to miss.
//   - The parser is at least as strict as the device is likely to be: the XML
//     declaration must come first and declare ISO-8859-1; a string value must not hold
//     a double or single quote or a control character; an ID must be a parameter path;
//     a character outside ISO-8859-1 (from a character reference) is malformed. Where
//     the device's behaviour is unknown, rejecting shows the problem early.
//   - Bytes that decode as UTF-8 multibyte sequences, or C1 control bytes, are read as
//     ISO-8859-1 exactly as the device would (giving mojibake such as "MÃ¼ller") and
//     reported as warnings, not errors: the device would accept them.
//   - The same ID given twice: the later value wins, with a warning.
//   - For string fields, the bare array name, [0] and [%] all mean the whole field
//     (Gigaset's own example writes aucS_VOIP_NET_AM_NUMBER_1 bare). [%] on the record
//     array astVoipAccounts, or on the reservation array, means every slot.
//   - The device has one data model and takes no configuration of parameter IDs. Where
//     the record of an IPUI registration member is unconfirmed, its table holds every
//     candidate spelling as an alias of one setting: the window start as
//     BS_AE_Subscriber.acIPUIRegistrationTimestamp (a quoted string of Unix seconds, as
//     a production template sent it and Gigaset's FAQ describes it) or
//     BS_CUSTOM.aucIPUIRegistrationTimestamp (the operator's first release: an integer
//     or a 4-byte big-endian list); the duration as
//     BS_AE_Subscriber.ulIPUIRegistrationDuration (an integer) or
//     BS_CUSTOM.aucIPUIRegistrationDuration (as the first release); the reservation
//     array as BS_CUSTOM.aucHandsetCode[x] or BS_AE_Subscriber.aucHandsetCode[x]. A real
//     N720 knows only one of each; once a device has told which (docs/device.md), the
//     other goes. The spelling used shows in the recorded encoding; a file that sets one
//     setting under two spellings gets the later value and a warning. The PIN is 2 BCD
//     bytes.
//   - A quoted window start is read as Unix seconds only. A DDMMYYHHMM date (the other
//     reading the evidence leaves open) is therefore read as a time in the 1970s, so
//     the window lies in the past; this is reported as a warning.
//   - The window is [start, start+duration) in absolute time, with its opening delayed
//     to 30 s after the file was applied; if the end comes before that, no window opens.
//     Every applied file re-arms the window (an open window closes and reopens after
//     the delay), even an unchanged one; a 304 or an ignored file does not.
//   - The 15 s conflict check runs against the newest reservations: a second file within
//     15 s postpones it. A random PIN is drawn each time a window opens, and is never
//     0000.
//   - Redirects are not followed; Digest with MD5 or SHA-256 (and their -sess variants),
//     qop=auth or no qop; SHA-256 is chosen when offered. userhash and auth-int are not
//     supported. A stale=true answer is retried with the new nonce, at most twice per
//     identity.
//   - Files larger than DefaultMaxFileSize (configurable) are ignored; the device's real
//     limit is unknown.
//
// # Firmware
//
// A file's top-level S_SPECIAL_DATA_SRV_IWU element (a URL in double quotes, or empty
// for none) names the DECT Manager's image. After applying the file, a device whose
// running version differs downloads it (no credentials, at most MaxFirmwareSize) and,
// once the whole image has arrived, reports its version in the User-Agent. The URL must
// end with the image's file name, and the version is taken from Gigaset's naming,
// einsteiniwu117_70.bin = 70.117.00.000.000: a real device reads it from the image.
// S_SPECIAL_DATA_SRV_SAT (the base stations' image) is kept, not downloaded. The reboot
// after an update is not simulated.
//
// # SIP
//
// ListenSIP starts the device's SIP side on one port for UDP and TCP. It answers a
// NOTIFY with Event: check-sync for one of its active accounts with 200 OK and then
// fetches its file from the configured server, through Fetch; anything else gets the
// answer a SIP user agent gives (AnswerNotify has the rules: 400, 481, 489 with
// Allow-Events, 404 for an unknown account). A retransmitted NOTIFY is one transaction
// and one fetch. The device has no periodic timer of its own: it fetches only when
// told to (Fetch) or pushed, so every fetch in a push test is the push's doing. The
// SIP parsing is the sipgo library's, the rules are written here again and share no
// code with the operator's sending side. Registration with a registrar, calls and
// SIP authentication are not simulated.
//
// Not simulated: manual registration in the web UI, the N720 IP PRO bases, the
// firmware's effect on features (IPUI pre-registration needs firmware 108 or newer; the
// simulator always behaves like 108), and the VERSION element (reported as a warning,
// ignored).
package simulator
