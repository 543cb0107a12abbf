package mapping

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"time"
)

// coerce converts a JSON value to the attribute's SCIM type: string,
// bool, int64, json.Number, time.Time or []byte; nil for null and for the
// empty string, which clients use for "no value" whatever the type (Okta's
// "middleName": "", Entra's null update: replace with "").
func coerce(a *Attribute, v any) (any, error) {
	if s, ok := v.(string); v == nil || (ok && s == "") {
		return nil, nil
	}
	name := a.Path()
	if arr, ok := v.([]any); ok && len(arr) == 1 {
		// Some clients wrap a single value: [{"value": "x"}] or ["x"].
		v = arr[0]
		if obj, ok := v.(map[string]any); ok {
			if inner, ok := getFold(obj, "value"); ok {
				v = inner
			}
		}
	}
	switch a.Def.Type {
	case TypeBoolean:
		return coerceBool(name, v)
	case TypeInteger:
		s, ok := numberText(v)
		n, err := strconv.ParseInt(s, 10, 64)
		if !ok || err != nil {
			return nil, requestErr(SCIMInvalidValue, "%s must be an integer, got %s", name, describeJSON(v))
		}
		return n, nil
	case TypeDecimal:
		s, ok := numberText(v)
		if _, valid := new(big.Float).SetString(s); !ok || !valid || strings.ContainsAny(s, "xXpP_") {
			return nil, requestErr(SCIMInvalidValue, "%s must be a number, got %s", name, describeJSON(v))
		}
		return json.Number(s), nil
	case TypeDateTime:
		s, ok := v.(string)
		if ok && s == "" {
			return nil, nil
		}
		if ok {
			for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02"} {
				if t, err := time.Parse(layout, s); err == nil {
					return t.UTC(), nil
				}
			}
		}
		return nil, requestErr(SCIMInvalidValue, "%s must be an RFC 3339 date-time such as \"2024-05-13T04:42:34Z\", got %s", name, describeJSON(v))
	case TypeBinary:
		s, ok := v.(string)
		if !ok {
			return nil, requestErr(SCIMInvalidValue, "%s must be a base64 string, got %s", name, describeJSON(v))
		}
		if s == "" {
			return nil, nil
		}
		b, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			return nil, requestErr(SCIMInvalidValue, "%s must be base64: %v", name, err)
		}
		return b, nil
	default: // string, reference
		// JSON strings only: a number for userName is a client bug
		// (userName: 123 stored as "123"), not a value to convert.
		if x, ok := v.(string); ok {
			if x == "" {
				return nil, nil
			}
			return x, nil
		}
		return nil, requestErr(SCIMInvalidValue, "%s must be a string, got %s", name, describeJSON(v))
	}
}

// coerceBool accepts JSON booleans and the strings Entra sends ("False").
func coerceBool(name string, v any) (bool, error) {
	switch x := v.(type) {
	case bool:
		return x, nil
	case string:
		switch strings.ToLower(strings.TrimSpace(x)) {
		case "true":
			return true, nil
		case "false":
			return false, nil
		}
	}
	return false, requestErr(SCIMInvalidValue, "%s must be true or false, got %s", name, describeJSON(v))
}

func numberText(v any) (string, bool) {
	switch x := v.(type) {
	case json.Number:
		return x.String(), true
	case string:
		return strings.TrimSpace(x), x != ""
	}
	return "", false
}

// describeJSON renders a client's value for an error message, shortened.
func describeJSON(v any) string {
	switch x := v.(type) {
	case map[string]any:
		return "an object"
	case []any:
		return fmt.Sprintf("an array of %d", len(x))
	case string:
		if len(x) > 60 {
			x = x[:60] + "…"
		}
		return strconv.Quote(x)
	case nil:
		return "null"
	}
	return fmt.Sprint(v)
}

// bcryptCost is the work factor of stored password hashes.
const bcryptCost = 12

// toColumn converts a SCIM value to a value of the column's type.
func toColumn(a *Attribute, col *Column, v any) (any, error) {
	switch col.kind() {
	case kindInteger:
		var n any
		switch x := v.(type) {
		case bool:
			if x {
				return int64(1), nil
			}
			return int64(0), nil
		case int64:
			n = x
		case string:
			parsed, ok := parseNumber(strings.TrimSpace(x), true)
			if !ok {
				return nil, requestErr(SCIMInvalidValue, "%s is stored as a number; %q is not one", a.Path(), x)
			}
			n = parsed
		case json.Number:
			parsed, ok := parseNumber(x.String(), true)
			if !ok {
				return nil, requestErr(SCIMInvalidValue, "%s is stored as an integer; %s is not one", a.Path(), x)
			}
			n = parsed
		default:
			return nil, requestErr(SCIMInvalidValue, "%s cannot be stored in integer column %q", a.Path(), col.Name)
		}
		if err := checkIntRange(a, col, n); err != nil {
			return nil, err
		}
		return n, nil
	case kindDecimal:
		s := fmt.Sprint(v)
		if _, ok := parseNumber(s, false); !ok {
			return nil, requestErr(SCIMInvalidValue, "%s is stored as a number; %q is not one", a.Path(), s)
		}
		return s, nil
	case kindTemporal:
		t, ok := v.(time.Time)
		if !ok {
			return nil, requestErr(SCIMInvalidValue, "%s is stored as a date; send an RFC 3339 date-time", a.Path())
		}
		return t, nil
	}
	switch x := v.(type) {
	case bool:
		if x {
			return "true", nil
		}
		return "false", nil
	case time.Time:
		return x, nil
	case json.Number:
		return x.String(), nil
	case int64:
		return strconv.FormatInt(x, 10), nil
	}
	return v, nil
}

// checkIntRange refuses values outside the integer column's range.
func checkIntRange(a *Attribute, col *Column, n any) error {
	bits := map[string]uint{"tinyint": 8, "smallint": 16, "mediumint": 24, "int": 32, "integer": 32, "bigint": 64}[col.DataType]
	if bits == 0 {
		return nil
	}
	unsigned := strings.Contains(col.ColumnType, "unsigned")
	var lo, hi big.Int
	if unsigned {
		hi.Lsh(big.NewInt(1), bits).Sub(&hi, big.NewInt(1))
	} else {
		hi.Lsh(big.NewInt(1), bits-1).Sub(&hi, big.NewInt(1))
		lo.Neg(new(big.Int).Lsh(big.NewInt(1), bits-1))
	}
	var v big.Int
	switch x := n.(type) {
	case int64:
		v.SetInt64(x)
	case uint64:
		v.SetUint64(x)
	}
	if v.Cmp(&lo) < 0 || v.Cmp(&hi) > 0 {
		return requestErr(SCIMInvalidValue, "%s is out of range for column %q (%s..%s)", a.Path(), col.Name, lo.String(), hi.String())
	}
	return nil
}
