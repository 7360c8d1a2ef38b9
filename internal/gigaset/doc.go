// Package gigaset renders and parses the provisioning document of the Gigaset N720
// DECT Manager: the XML file the device fetches as <MAC>.xml. It has no Kubernetes
// imports; controllers build a Document, Render it, and store the two halves.
//
// # The document
//
// An N720 file is a list of independent SYMB_ITEM settings inside
// <ProviderFrame><Provider>. A setting the file does not mention keeps its value on
// the device, so the file is rendered declaratively and completely: every one of the
// 100 slots is written, owned slots with their settings and free slots explicitly
// cleared (inactive, empty strings, no IPUI reservation), so that freeing a slot
// really clears the device.
//
// Bytes are ISO-8859-1 as declared: "ü" is the single byte 0xFC. Characters outside
// Latin-1, control characters and both quote characters are rejected (how the device
// reads a quote inside a string is unknown); &, < and > are XML-escaped. Output is
// deterministic: the same Document and Profile always give the same bytes, so that a
// controller can compare before writing.
//
// # Secrets
//
// Render returns two parts. Rendered.Document holds no secret item and is safe to
// show (ConfigMap, Argo CD UI). Rendered.Credentials holds the secret items only:
// every slot's SIP password (free slots get "" so that joining clears an old
// password), the web password when set, and secret extra items. Join inserts the
// credentials before </Provider> when the file is served. A document served without
// its credentials never blanks a password on the device, because a missing item
// keeps the device's value. Error messages never contain a secret value.
//
// # Slots and the comments Parse reads back
//
// Slot i is SIP account i+1 and DECT handset i+1; a handset's slot never moves. Each
// slot's items are preceded by "<!-- slot N: OWNER -->" (N is 0-based; "free" for a
// free slot) so that the document is the durable record of which Handset owns which
// slot. "--" is illegal in XML comments, so owners are escaped reversibly ('-' after
// '-' becomes %2D; the owner named "free" becomes %66ree). A secret extra item leaves
// "<!-- secret item: ID -->" at its place in the public document, which lets Parse
// restore Extra in its original order and mark the item Secret.
//
// Parse reverses Render: Parse(Join(r.Document, r.Credentials)) equals the rendered
// Document, and Parse(r.Document) equals it without secrets. Parse is strict (see its
// documentation) and bounded (MaxDocumentSize, MaxItems).
//
// # The device profile
//
// Parts of the format are unconfirmed, so every parameter's SYMB_ITEM ID and encoding
// lives in one table, the Profile, which users correct without a release
// (Profile.WithOverrides, Profile.WithTransport). N720 returns the default table;
// docs/device.md is its reference for people, with the evidence behind every entry.
// Each Entry carries that evidence as data (Entry.Evidence, naming Sources) and the
// alternatives the evidence leaves open (Entry.Alternatives, each applicable as an
// Override). Parameters (Param), their kinds and encodings:
//
//	provider.name, .domain, .server, .registrar, .outboundProxy   text    string
//	provider.serverPort, .registrarPort, .outboundProxyPort       1..65535  hex16 | integer
//	provider.reRegistrationSeconds                                1..65535  hex16 | integer
//	provider.transport            name from the transport table  integer | hex16
//	time.ntpServer                                                text    string
//	time.automaticNTP             derived: 1 when an NTP server is set  boolean
//	time.timezoneCode                                             0..65535  hex16 | integer
//	time.automaticDST                                             flag    boolean
//	dataServer                                                    text    string
//	registration.randomPIN                                        flag    boolean
//	registration.pin                                              4 digits  bcdPIN
//	registration.windowStart      Unix seconds 0..2^32-1  quotedDecimal | ddmmyyhhmm | integer | uint32be | uint32le
//	registration.windowSeconds    0..2^32-1               integer | quotedDecimal | uint32be | uint32le
//	webPassword (secret)                                          text    string
//	slot.active, slot.mailboxEnabled                              flag    boolean
//	slot.userID, .loginID, .password (secret), .displayName,
//	slot.accountName, .mailboxNumber                              text    string
//	slot.providerIndex            always 0                        integer | hex16
//	slot.ipui                     IPUI or none                    ipui
//
// The first encoding listed is not necessarily the default; Profile.Entries gives the
// defaults. Encodings: string ('"text"' in a single-quoted attribute), integer
// (decimal), hex16 (0x%04X), boolean (0/1), ipui (5-byte list, 0xFF x5 = none),
// bcdPIN (2 BCD bytes), quotedDecimal ('"1767225600"'), ddmmyyhhmm ('"0101261200"',
// UTC, whole minutes: the start is rounded up, the one lossy encoding),
// uint32be/uint32le (4-byte list). Parse reads either integer notation (decimal or 0x
// hex) wherever an unquoted number is expected, as the device does.
//
// Unconfirmed entries of the default profile (Entry.Confirmed false, Entry.Note says
// what exactly):
//
//   - slot.ipui, BS_CUSTOM.aucHandsetCode[{slot}]: the containing record BS_CUSTOM;
//     BS_AE_Subscriber is as likely (an alternative).
//   - registration.windowStart, BS_AE_Subscriber.acIPUIRegistrationTimestamp[0]: the ID
//     and the quoted string are production-proven; the string's content is not: Unix
//     seconds (Gigaset's FAQ, the default) or DDMMYYHHMM (the production template, an
//     alternative).
//   - registration.windowSeconds, BS_AE_Subscriber.ulIPUIRegistrationDuration: the ID
//     is production-proven; seconds and "0 = permanently open" are Gigaset's word.
//   - The first release wrote both window items as BS_CUSTOM.aucIPUIRegistration*[%]
//     with decimal values; those IDs and encodings are alternatives, so an override
//     restores the first release's bytes exactly.
//   - registration.pin, BS_CUSTOM.aucKdsPin[%]: confirmed as the system PIN; that it
//     is the registration PIN is likely, not confirmed.
//   - provider.transport: UDP=17 is confirmed, TCP=6 likely; TLS is unknown and not
//     in the transport table (add it with WithTransport once known).
//
// Not modelled, settable as extra items: the outbound proxy mode (its enum values are
// unconfirmed), VERSION (its effect is unconfirmed), providers other than 0.
//
// String length limits (Entry.MaxLen) are the operator's conservative choices, since
// the device's field sizes are not published: 32 characters for SIP names,
// passwords, display names and mailbox numbers, 74 for host names and URLs (the
// device's URL limit). Overrides may change them (1..255).
package gigaset
