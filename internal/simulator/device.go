package simulator

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"time"
)

// DefaultFirmware is the firmware a Device reports unless told otherwise: a version
// with IPUI pre-registration (108 or newer), written as the N720 writes it.
const DefaultFirmware = "70.108.00.000.000"

// Config describes one simulated DECT Manager.
type Config struct {
	// MAC is the device's MAC address in any common notation (required).
	MAC string
	// MACID is the code printed on the label, XXXXXXXXXXXX-XXXX: the password of the
	// built-in Digest identity (required).
	MACID string
	// Firmware appears in the User-Agent; empty means DefaultFirmware.
	Firmware string
	// Username and Password are the Digest credentials configured on the device, tried
	// after the built-in identity. An empty Username means none are configured.
	Username string
	Password string
	// Clock drives registration windows and event times; nil means RealClock.
	Clock Clock
	// HTTPClient is used for downloads; nil means a client with a 30 s timeout that
	// does not follow redirects.
	HTTPClient *http.Client
	// MaxFileSize bounds a file; 0 means DefaultMaxFileSize.
	MaxFileSize int
}

// Device is one simulated N720 DECT Manager. Its methods are safe for concurrent use.
// Every method that reads or changes state first brings the device up to its clock's
// current time (see Step).
type Device struct {
	mac, macID         string
	username, password string
	clock              Clock
	client             *http.Client
	maxFileSize        int

	fetchMu sync.Mutex // one download at a time, as on the device

	mu        sync.Mutex
	firmware  string // changed by a firmware update
	db        database
	etag      string // ETag of the last applied file
	reg       registration
	events    eventLog
	drawPINFn func() string
}

// New returns a device in its factory state: no settings, every slot inactive and
// unreserved, registration window start 0 and duration 0, PIN 0000.
func New(cfg Config) (*Device, error) {
	mac, err := normaliseMAC(cfg.MAC)
	if err != nil {
		return nil, err
	}
	if err := checkMACID(cfg.MACID); err != nil {
		return nil, err
	}
	if cfg.Password != "" && cfg.Username == "" {
		return nil, errors.New("a configured Digest password needs a username")
	}
	if cfg.MaxFileSize < 0 {
		return nil, errors.New("MaxFileSize must not be negative")
	}
	d := &Device{
		mac:         mac,
		macID:       cfg.MACID,
		firmware:    cfg.Firmware,
		username:    cfg.Username,
		password:    cfg.Password,
		clock:       cfg.Clock,
		client:      cfg.HTTPClient,
		maxFileSize: cfg.MaxFileSize,
		db:          factoryDatabase(),
		reg:         factoryRegistration(),
		drawPINFn:   drawPIN,
	}
	if d.firmware == "" {
		d.firmware = DefaultFirmware
	}
	if d.clock == nil {
		d.clock = RealClock{}
	}
	if d.client == nil {
		d.client = &http.Client{
			Timeout: 30 * time.Second,
			// The device's handling of redirects is unknown; a provisioning server has no
			// reason to send one, so the simulator reports it instead of following it.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
	}
	if d.maxFileSize == 0 {
		d.maxFileSize = DefaultMaxFileSize
	}
	return d, nil
}

// MAC returns the device's MAC: 12 upper-case hex digits.
func (d *Device) MAC() string { return d.mac }

// MACID returns the label code, the built-in Digest password.
func (d *Device) MACID() string { return d.macID }

// Firmware returns the firmware version the device reports.
func (d *Device) Firmware() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.firmware
}

// UserAgent returns the User-Agent the device sends.
func (d *Device) UserAgent() string {
	return "Gigaset N720 DM PRO/" + d.Firmware() + ";" + d.mac
}

// ApplyFile applies a file as if the device had just downloaded it, without HTTP. The
// file is applied at the clock's current time and arms the registration window like a
// download does.
func (d *Device) ApplyFile(data []byte) ApplyResult {
	d.mu.Lock()
	defer d.mu.Unlock()
	now := d.clock.Now()
	d.advance(now)
	return d.apply(data, now)
}

// Step brings the device up to its clock's current time: it deregisters conflicting
// handsets and opens and closes the registration window as due. Every other method
// does this first, so calling Step is needed only to make the events appear.
func (d *Device) Step() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.advance(d.clock.Now())
}

// Slot returns entry i (0..99) of the account table. It panics if i is out of range,
// like indexing a slice.
func (d *Device) Slot(i int) SlotState {
	if i < 0 || i >= NumSlots {
		panic(fmt.Sprintf("simulator: slot %d out of range 0..%d", i, NumSlots-1))
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.advance(d.clock.Now())
	return d.db.slots[i]
}

// Setting returns the raw value of a base setting (an item the simulator does not
// model), exactly as the file wrote it: strings keep their quotes.
func (d *Device) Setting(id string) (string, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	v, ok := d.db.base[id]
	return v, ok
}

// Events returns a copy of the event log, oldest first. The log keeps the newest 1000
// events.
func (d *Device) Events() []Event {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.advance(d.clock.Now())
	return d.events.list()
}

// Snapshot is a copy of the whole device state at one instant.
type Snapshot struct {
	Time         time.Time
	MAC          string
	Firmware     string
	ProfileName  string
	Base         map[string]string // raw values of the items not modelled
	Slots        []SlotState       // NumSlots entries
	Registration RegistrationSettings
	// FirmwareURL and SATFirmwareURL are the images the last files pinned; "" = none.
	FirmwareURL, SATFirmwareURL string
	Window                      WindowState
	RandomPIN                   string // drawn for the last window in random PIN mode; "" otherwise
	ETag                        string // of the last applied file
}

// Snapshot returns a copy of the device state.
func (d *Device) Snapshot() Snapshot {
	d.mu.Lock()
	defer d.mu.Unlock()
	now := d.clock.Now()
	d.advance(now)
	db := d.db.clone()
	var drawn string
	if db.reg.RandomPIN {
		drawn = d.reg.randomPIN
	}
	return Snapshot{
		Time:         now,
		MAC:          d.mac,
		Firmware:     d.firmware,
		ProfileName:  db.profileName,
		Base:         db.base,
		Slots:        slices.Clone(db.slots[:]),
		Registration: db.reg,
		FirmwareURL:  db.firmwareURL, SATFirmwareURL: db.satFirmwareURL,
		Window:    d.reg.window,
		RandomPIN: drawn,
		ETag:      d.etag,
	}
}
