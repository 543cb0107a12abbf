package listcodec

import (
	"errors"
	"slices"
)

// Single is a column that holds one name, not a list: Grafana's
// org_user.role ('Admin', 'Editor' or 'Viewer'). A user holds exactly the
// name stored. Adding a name replaces the stored one (a user has one
// role); removing the stored name writes Fallback, since the column takes
// no empty value. Comparison is exact, as for the list formats.
type Single struct {
	// Fallback is what removal writes (Grafana's Viewer).
	Fallback string
}

// Format implements Codec.
func (Single) Format() string { return "single" }

// Empty implements Codec: the fallback.
func (s Single) Empty() string { return s.Fallback }

// Entries implements Codec: the stored name, if any.
func (Single) Entries(raw string) ([]string, error) {
	if raw == "" {
		return nil, nil
	}
	return []string{raw}, nil
}

// Contains implements Codec.
func (Single) Contains(raw, name string) (bool, error) { return raw == name, nil }

// Add implements Codec: the first name replaces raw; a single column holds
// one name, so Add takes one.
func (s Single) Add(raw string, names []string) (string, error) {
	switch {
	case len(names) == 0:
		return raw, nil
	case len(names) > 1:
		return "", errors.New("single: a column holds one name, not several")
	}
	if err := s.CheckName(names[0]); err != nil {
		return "", err
	}
	return names[0], nil
}

// Remove implements Codec: Fallback when raw is one of names, else raw.
func (s Single) Remove(raw string, names []string) (string, error) {
	if slices.Contains(names, raw) {
		return s.Fallback, nil
	}
	return raw, nil
}

// CheckName implements Codec: any non-empty name.
func (Single) CheckName(name string) error {
	if name == "" {
		return errors.New("single: name is empty")
	}
	return nil
}
