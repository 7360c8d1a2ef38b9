package testenv

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"os"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// AuditEvent is one entry of the API server's audit log (an audit.k8s.io/v1 Event at
// the Metadata level): the fields tests read.
type AuditEvent struct {
	Verb       string `json:"verb"`
	RequestURI string `json:"requestURI"`
	UserAgent  string `json:"userAgent"`
	User       struct {
		Username string `json:"username"`
	} `json:"user"`
	ObjectRef *struct {
		Resource    string `json:"resource"`
		Namespace   string `json:"namespace"`
		Name        string `json:"name"`
		APIGroup    string `json:"apiGroup"`
		Subresource string `json:"subresource"`
	} `json:"objectRef"`
	ResponseStatus *struct {
		Code int `json:"code"`
	} `json:"responseStatus"`
	// RequestReceived is when the API server received the request, Answered when it
	// had answered it (the ResponseComplete stage).
	RequestReceived metav1.MicroTime `json:"requestReceivedTimestamp"`
	Answered        metav1.MicroTime `json:"stageTimestamp"`
}

// Resource is the event's resource, with its subresource: "dectbases/status".
func (e AuditEvent) Resource() string {
	if e.ObjectRef == nil {
		return ""
	}
	if e.ObjectRef.Subresource != "" {
		return e.ObjectRef.Resource + "/" + e.ObjectRef.Subresource
	}
	return e.ObjectRef.Resource
}

// Namespace is the namespace of the object written, "" for a cluster-scoped one.
func (e AuditEvent) Namespace() string {
	if e.ObjectRef == nil {
		return ""
	}
	return e.ObjectRef.Namespace
}

// AuditEvents reads the audit log (ControlPlaneOptions.AuditLog), in the order the API
// server wrote it.
func (cp *ControlPlane) AuditEvents() ([]AuditEvent, error) {
	if cp.AuditLogPath == "" {
		return nil, errors.New("testenv: the control plane keeps no audit log (ControlPlaneOptions.AuditLog)")
	}
	f, err := os.Open(cp.AuditLogPath)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var events []AuditEvent
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64<<10), 4<<20)
	for line := 1; sc.Scan(); line++ {
		var e AuditEvent
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			// The API server may be writing the last line right now.
			if !sc.Scan() {
				break
			}
			return nil, fmt.Errorf("%s:%d: %w", cp.AuditLogPath, line, err)
		}
		events = append(events, e)
	}
	return events, sc.Err()
}
