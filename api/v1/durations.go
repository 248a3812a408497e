package v1

import (
	"bytes"
	"encoding/json"
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// The prototype's manifests may write a duration as "" to mean its default, and the API
// server stores "" as written (it defaults only absent fields). metav1.Duration cannot
// read "", so the structs holding such durations read them through optionalDuration:
// "" and null are unset (then Default fills them in), anything else is parsed as usual.

// optionalDuration decodes a duration field, storing nil for "" and null.
type optionalDuration struct{ p **metav1.Duration }

// UnmarshalJSON implements json.Unmarshaler.
func (o optionalDuration) UnmarshalJSON(b []byte) error {
	if t := bytes.TrimSpace(b); bytes.Equal(t, []byte(`""`)) || bytes.Equal(t, []byte("null")) {
		*o.p = nil
		return nil
	}
	d := &metav1.Duration{}
	if err := d.UnmarshalJSON(b); err != nil {
		return err
	}
	*o.p = d
	return nil
}

// UnmarshalJSON reads a condition, taking a duration of "" as unset.
func (c *Condition) UnmarshalJSON(b []byte) error {
	type plain Condition
	aux := struct {
		*plain
		Duration optionalDuration `json:"duration,omitempty"`
	}{plain: (*plain)(c), Duration: optionalDuration{&c.Duration}}
	if err := json.Unmarshal(b, &aux); err != nil {
		return fmt.Errorf("condition: %w", err)
	}
	return nil
}

// UnmarshalJSON reads monitoring settings, taking a checkInterval or cooldownPeriod of
// "" as unset.
func (m *Monitoring) UnmarshalJSON(b []byte) error {
	type plain Monitoring
	cur := m.CheckInterval
	interval := &cur // left alone when the field is absent
	aux := struct {
		*plain
		CheckInterval  optionalDuration `json:"checkInterval,omitempty"`
		CooldownPeriod optionalDuration `json:"cooldownPeriod,omitempty"`
	}{plain: (*plain)(m), CheckInterval: optionalDuration{&interval}, CooldownPeriod: optionalDuration{&m.CooldownPeriod}}
	if err := json.Unmarshal(b, &aux); err != nil {
		return fmt.Errorf("monitoring: %w", err)
	}
	if interval == nil {
		interval = &metav1.Duration{}
	}
	m.CheckInterval = *interval
	return nil
}

// UnmarshalJSON reads an alert template's spec, taking a repeatInterval of "" as unset.
func (s *AlertTemplateSpec) UnmarshalJSON(b []byte) error {
	type plain AlertTemplateSpec
	aux := struct {
		*plain
		RepeatInterval optionalDuration `json:"repeatInterval,omitempty"`
	}{plain: (*plain)(s), RepeatInterval: optionalDuration{&s.RepeatInterval}}
	if err := json.Unmarshal(b, &aux); err != nil {
		return fmt.Errorf("alert template spec: %w", err)
	}
	return nil
}
