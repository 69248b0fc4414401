package latch

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// SchemaProblem is one way a value fails a schema. Path is a JSON Pointer into the value: "" for
// the value itself, "/amount_minor", "/items/2" (the same form as the TypeScript validator in
// packages/protocol).
type SchemaProblem struct {
	Path    string `json:"path"`
	Message string `json:"message"`
}

// String is "<path> <message>", with "/" for the value itself.
func (e SchemaProblem) String() string {
	path := e.Path
	if path == "" {
		path = "/"
	}
	return path + " " + e.Message
}

// FormatProblems joins problems into one line, for error messages and logs.
func FormatProblems(problems []SchemaProblem) string {
	parts := make([]string, len(problems))
	for i, p := range problems {
		parts[i] = p.String()
	}
	return strings.Join(parts, "; ")
}

// Validator checks JSON values against a JSON Schema subset:
//
//   - type (a name or a list of names: object, array, string, number, integer, boolean, null)
//   - enum, const
//   - objects: required, properties, additionalProperties (false or a schema)
//   - arrays: items (one schema), minItems, maxItems
//   - strings: minLength, maxLength (in code points), pattern (Go RE2 syntax, unanchored)
//   - numbers: minimum, maximum, exclusiveMinimum, exclusiveMaximum (numeric form)
//   - true and false as schemas
//
// This is the subset of packages/protocol's TypeScript validator, plus exclusiveMinimum and
// exclusiveMaximum. Annotations (title, description, default, examples, format, $schema, $id,
// $comment, deprecated, readOnly, writeOnly, x-*) are ignored. Other keywords ($ref, anyOf, oneOf,
// allOf, not, multipleOf, ...) are not enforced: Unsupported lists them, and Serve refuses an
// inputSchema that uses them rather than accept input it never checked.
type Validator struct {
	root        *schemaNode
	unsupported []string
}

// maxValidationErrors caps the errors reported for one value.
const maxValidationErrors = 20

type schemaNode struct {
	boolean *bool // set for the schemas true and false

	types      []string
	enum       []any
	hasEnum    bool
	constValue any
	hasConst   bool

	required   []string
	properties map[string]*schemaNode
	additional *schemaNode // nil: any additional property is allowed

	items              *schemaNode
	minItems, maxItems *int

	minLength, maxLength *int
	pattern              *regexp.Regexp

	minimum, maximum, exclusiveMinimum, exclusiveMaximum json.Number
}

var annotationKeywords = map[string]bool{
	"title": true, "description": true, "default": true, "examples": true, "format": true,
	"$schema": true, "$id": true, "$comment": true, "readOnly": true, "writeOnly": true, "deprecated": true,
}

var validTypes = map[string]bool{
	"object": true, "array": true, "string": true, "number": true, "integer": true, "boolean": true, "null": true,
}

// CompileSchema compiles a schema. A nil or empty schema accepts everything.
func CompileSchema(s Schema) (*Validator, error) {
	if s == nil {
		s = Schema{}
	}
	raw, err := json.Marshal(s)
	if err != nil {
		return nil, fmt.Errorf("schema: %w", err)
	}
	return CompileSchemaJSON(raw)
}

// CompileSchemaJSON compiles a schema given as JSON text.
func CompileSchemaJSON(raw []byte) (*Validator, error) {
	doc, err := decodeJSON(raw)
	if err != nil {
		return nil, fmt.Errorf("schema: %w", err)
	}
	v := &Validator{}
	unsupported := map[string]bool{}
	root, err := compileNode(doc, "#", unsupported)
	if err != nil {
		return nil, err
	}
	v.root = root
	for k := range unsupported { // JSON Pointers from "#"
		v.unsupported = append(v.unsupported, k)
	}
	sort.Strings(v.unsupported)
	return v, nil
}

// Unsupported returns the keywords of the schema that the validator does not enforce, as JSON
// Pointers from "#" (for example "#/properties/amount/multipleOf").
func (v *Validator) Unsupported() []string { return append([]string{}, v.unsupported...) }

// Validate checks a JSON document (empty means null). It returns nil when the value is valid.
func (v *Validator) Validate(doc []byte) []SchemaProblem {
	if len(bytes.TrimSpace(doc)) == 0 {
		doc = []byte("null")
	}
	value, err := decodeJSON(doc)
	if err != nil {
		return []SchemaProblem{{Path: "", Message: "is not valid JSON: " + err.Error()}}
	}
	return v.ValidateValue(value)
}

// ValidateValue checks a decoded value (numbers as json.Number or Go numeric types).
func (v *Validator) ValidateValue(value any) []SchemaProblem {
	var errs []SchemaProblem
	v.root.validate(value, "", &errs)
	return errs
}

func decodeJSON(raw []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, fmt.Errorf("trailing data after JSON value")
	}
	return v, nil
}

func compileNode(doc any, at string, unsupported map[string]bool) (*schemaNode, error) {
	if b, ok := doc.(bool); ok {
		return &schemaNode{boolean: &b}, nil
	}
	m, ok := doc.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("schema %s: must be an object or a boolean", at)
	}
	n := &schemaNode{}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		val := m[k]
		where := at + "/" + pointerEscape(k)
		var err error
		switch k {
		case "type":
			switch t := val.(type) {
			case string:
				n.types = []string{t}
			case []any:
				for _, x := range t {
					s, ok := x.(string)
					if !ok {
						return nil, fmt.Errorf("schema %s: must be a string or a list of strings", where)
					}
					n.types = append(n.types, s)
				}
			default:
				return nil, fmt.Errorf("schema %s: must be a string or a list of strings", where)
			}
			for _, t := range n.types {
				if !validTypes[t] {
					return nil, fmt.Errorf("schema %s: unknown type %q", where, t)
				}
			}
		case "enum":
			list, ok := val.([]any)
			if !ok {
				return nil, fmt.Errorf("schema %s: must be an array", where)
			}
			n.enum, n.hasEnum = list, true
		case "const":
			n.constValue, n.hasConst = val, true
		case "required":
			list, ok := val.([]any)
			if !ok {
				return nil, fmt.Errorf("schema %s: must be an array of strings", where)
			}
			for _, x := range list {
				s, ok := x.(string)
				if !ok {
					return nil, fmt.Errorf("schema %s: must be an array of strings", where)
				}
				n.required = append(n.required, s)
			}
		case "properties":
			props, ok := val.(map[string]any)
			if !ok {
				return nil, fmt.Errorf("schema %s: must be an object", where)
			}
			n.properties = map[string]*schemaNode{}
			for name, sub := range props {
				c, err := compileNode(sub, where+"/"+pointerEscape(name), unsupported)
				if err != nil {
					return nil, err
				}
				n.properties[name] = c
			}
		case "additionalProperties":
			if n.additional, err = compileNode(val, where, unsupported); err != nil {
				return nil, err
			}
		case "items":
			if _, isList := val.([]any); isList {
				unsupported[where] = true
				continue
			}
			if n.items, err = compileNode(val, where, unsupported); err != nil {
				return nil, err
			}
		case "minItems":
			n.minItems, err = nonNegativeInt(val, where)
		case "maxItems":
			n.maxItems, err = nonNegativeInt(val, where)
		case "minLength":
			n.minLength, err = nonNegativeInt(val, where)
		case "maxLength":
			n.maxLength, err = nonNegativeInt(val, where)
		case "pattern":
			s, ok := val.(string)
			if !ok {
				return nil, fmt.Errorf("schema %s: must be a string", where)
			}
			if n.pattern, err = regexp.Compile(s); err != nil {
				return nil, fmt.Errorf("schema %s: %w", where, err)
			}
		case "minimum":
			n.minimum, err = schemaNumber(val, where)
		case "maximum":
			n.maximum, err = schemaNumber(val, where)
		case "exclusiveMinimum":
			n.exclusiveMinimum, err = schemaNumber(val, where)
		case "exclusiveMaximum":
			n.exclusiveMaximum, err = schemaNumber(val, where)
		default:
			if !annotationKeywords[k] && !strings.HasPrefix(k, "x-") {
				unsupported[where] = true
			}
		}
		if err != nil {
			return nil, err
		}
	}
	return n, nil
}

func nonNegativeInt(v any, where string) (*int, error) {
	if num, ok := v.(json.Number); ok && isIntegerNumber(num) {
		if i, err := strconv.Atoi(string(num)); err == nil && i >= 0 {
			return &i, nil
		}
		if f, err := num.Float64(); err == nil && f >= 0 && f <= math.MaxInt32 {
			i := int(f)
			return &i, nil
		}
	}
	return nil, fmt.Errorf("schema %s: must be a non-negative integer", where)
}

func schemaNumber(v any, where string) (json.Number, error) {
	if num, ok := v.(json.Number); ok {
		return num, nil
	}
	return "", fmt.Errorf("schema %s: must be a number", where)
}

func (n *schemaNode) validate(v any, path string, errs *[]SchemaProblem) {
	if len(*errs) >= maxValidationErrors {
		return
	}
	fail := func(format string, args ...any) {
		if len(*errs) < maxValidationErrors {
			*errs = append(*errs, SchemaProblem{Path: path, Message: fmt.Sprintf(format, args...)})
		}
	}
	if n.boolean != nil {
		if !*n.boolean {
			fail("is not allowed")
		}
		return
	}
	v = normalizeNumber(v)
	if len(n.types) > 0 {
		ok := false
		for _, t := range n.types {
			if hasType(v, t) {
				ok = true
				break
			}
		}
		if !ok {
			fail("must be %s", strings.Join(n.types, " or "))
			return // the other keywords would only add noise
		}
	}
	if n.hasConst && !jsonEqual(v, n.constValue) {
		fail("must be %s", compactJSON(n.constValue))
	}
	if n.hasEnum {
		ok := false
		names := make([]string, len(n.enum))
		for i, e := range n.enum {
			names[i] = compactJSON(e)
			if jsonEqual(v, e) {
				ok = true
			}
		}
		if !ok {
			fail("must be one of %s", strings.Join(names, ", "))
		}
	}
	switch x := v.(type) {
	case map[string]any:
		for _, r := range n.required {
			if _, ok := x[r]; !ok && len(*errs) < maxValidationErrors {
				*errs = append(*errs, SchemaProblem{Path: path + "/" + pointerEscape(r), Message: "is required"})
			}
		}
		names := make([]string, 0, len(x))
		for name := range x {
			names = append(names, name)
		}
		sort.Strings(names)
		for _, name := range names {
			sub, declared := n.properties[name]
			if !declared {
				sub = n.additional
			}
			switch {
			case sub == nil:
			case !declared && sub.boolean != nil && !*sub.boolean:
				if len(*errs) < maxValidationErrors {
					*errs = append(*errs, SchemaProblem{Path: path + "/" + pointerEscape(name), Message: "is not an allowed property"})
				}
			default:
				sub.validate(x[name], path+"/"+pointerEscape(name), errs)
			}
		}
	case []any:
		if n.minItems != nil && len(x) < *n.minItems {
			fail("must have at least %d items", *n.minItems)
		}
		if n.maxItems != nil && len(x) > *n.maxItems {
			fail("must have at most %d items", *n.maxItems)
		}
		if n.items != nil {
			for i, item := range x {
				n.items.validate(item, fmt.Sprintf("%s/%d", path, i), errs)
			}
		}
	case string:
		length := utf8.RuneCountInString(x)
		if n.minLength != nil && length < *n.minLength {
			fail("must be at least %d characters", *n.minLength)
		}
		if n.maxLength != nil && length > *n.maxLength {
			fail("must be at most %d characters", *n.maxLength)
		}
		if n.pattern != nil && !n.pattern.MatchString(x) {
			fail("must match %s", n.pattern.String())
		}
	case json.Number:
		if n.minimum != "" && compareNumbers(x, n.minimum) < 0 {
			fail("must be >= %s", n.minimum)
		}
		if n.maximum != "" && compareNumbers(x, n.maximum) > 0 {
			fail("must be <= %s", n.maximum)
		}
		if n.exclusiveMinimum != "" && compareNumbers(x, n.exclusiveMinimum) <= 0 {
			fail("must be > %s", n.exclusiveMinimum)
		}
		if n.exclusiveMaximum != "" && compareNumbers(x, n.exclusiveMaximum) >= 0 {
			fail("must be < %s", n.exclusiveMaximum)
		}
	}
}

// normalizeNumber turns Go numbers (from ValidateValue callers) into json.Number.
func normalizeNumber(v any) any {
	switch x := v.(type) {
	case float64:
		return json.Number(strconv.FormatFloat(x, 'g', -1, 64))
	case float32:
		return json.Number(strconv.FormatFloat(float64(x), 'g', -1, 32))
	case int:
		return json.Number(strconv.Itoa(x))
	case int64:
		return json.Number(strconv.FormatInt(x, 10))
	case int32:
		return json.Number(strconv.FormatInt(int64(x), 10))
	case uint:
		return json.Number(strconv.FormatUint(uint64(x), 10))
	case uint64:
		return json.Number(strconv.FormatUint(x, 10))
	}
	return v
}

func hasType(v any, t string) bool {
	switch t {
	case "null":
		return v == nil
	case "boolean":
		_, ok := v.(bool)
		return ok
	case "string":
		_, ok := v.(string)
		return ok
	case "number":
		_, ok := v.(json.Number)
		return ok
	case "integer":
		n, ok := v.(json.Number)
		return ok && isIntegerNumber(n)
	case "array":
		_, ok := v.([]any)
		return ok
	case "object":
		_, ok := v.(map[string]any)
		return ok
	}
	return false
}

func isIntegerLiteral(n json.Number) bool {
	return !strings.ContainsAny(string(n), ".eE")
}

// isIntegerNumber: 1, -3 and also 1.0 and 1e3 (JSON Schema counts any integral value).
func isIntegerNumber(n json.Number) bool {
	if isIntegerLiteral(n) {
		return true
	}
	f, err := strconv.ParseFloat(string(n), 64)
	return err == nil && !math.IsInf(f, 0) && f == math.Trunc(f)
}

// compareNumbers compares exactly when both are integer literals, else as float64.
func compareNumbers(a, b json.Number) int {
	if isIntegerLiteral(a) && isIntegerLiteral(b) {
		x, okx := new(big.Int).SetString(string(a), 10)
		y, oky := new(big.Int).SetString(string(b), 10)
		if okx && oky {
			return x.Cmp(y)
		}
	}
	x, _ := strconv.ParseFloat(string(a), 64)
	y, _ := strconv.ParseFloat(string(b), 64)
	switch {
	case x < y:
		return -1
	case x > y:
		return 1
	}
	return 0
}

func jsonEqual(a, b any) bool {
	a, b = normalizeNumber(a), normalizeNumber(b)
	switch x := a.(type) {
	case nil:
		return b == nil
	case bool:
		y, ok := b.(bool)
		return ok && x == y
	case string:
		y, ok := b.(string)
		return ok && x == y
	case json.Number:
		y, ok := b.(json.Number)
		return ok && compareNumbers(x, y) == 0
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !jsonEqual(x[i], y[i]) {
				return false
			}
		}
		return true
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, xv := range x {
			yv, ok := y[k]
			if !ok || !jsonEqual(xv, yv) {
				return false
			}
		}
		return true
	}
	return false
}

func pointerEscape(name string) string {
	return strings.ReplaceAll(strings.ReplaceAll(name, "~", "~0"), "/", "~1")
}

func compactJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}
