package latch

import (
	"strings"
	"testing"
)

func TestValidator(t *testing.T) {
	cases := []struct {
		schema string
		value  string
		errs   []string // "path: message" substrings, in order; empty means valid
	}{
		{`{}`, `{"anything":[1,2]}`, nil},
		{`true`, `3`, nil},
		{`false`, `3`, []string{"/ is not allowed"}},
		{`{"type":"object"}`, `[]`, []string{"/ must be object"}},
		{`{"type":["string","null"]}`, `null`, nil},
		{`{"type":["string","null"]}`, `1`, []string{"/ must be string or null"}},
		{`{"type":"integer"}`, `3.0`, nil},
		{`{"type":"integer"}`, `1e2`, nil},
		{`{"type":"integer"}`, `3.5`, []string{"/ must be integer"}},
		{`{"type":"number"}`, `3.5`, nil},
		{`{"type":"boolean"}`, `"true"`, []string{"/ must be boolean"}},
		{`{"required":["a","b","c/d"]}`, `{"a":1}`, []string{`/b is required`, `/c~1d is required`}},
		{`{"required":["a"]}`, `"not an object"`, nil}, // object keywords ignore other types
		{`{"properties":{"a":{"type":"string"}},"additionalProperties":false}`, `{"a":"x","z":1,"y":2}`,
			[]string{`/y is not an allowed property`, `/z is not an allowed property`}},
		{`{"properties":{"a":{"type":"string"}},"additionalProperties":{"type":"integer"}}`, `{"a":"x","n":1,"m":"s"}`,
			[]string{"/m must be integer"}},
		{`{"properties":{"a":{"properties":{"b":{"minimum":0}}}}}`, `{"a":{"b":-1}}`, []string{"/a/b must be >= 0"}},
		{`{"enum":["a",1,null,{"k":[1]}]}`, `{"k":[1.0]}`, nil},
		{`{"enum":["a",1,null]}`, `1.0`, nil},
		{`{"enum":["a",1,null]}`, `"b"`, []string{`/ must be one of "a", 1, null`}},
		{`{"const":"x"}`, `"y"`, []string{`/ must be "x"`}},
		{`{"pattern":"^[a-z]+$"}`, `"abc"`, nil},
		{`{"pattern":"b"}`, `"abc"`, nil}, // unanchored, as in JSON Schema
		{`{"pattern":"^[a-z]+$"}`, `"ABC"`, []string{`/ must match ^[a-z]+$`}},
		{`{"minLength":2,"maxLength":3}`, `"é"`, []string{"must be at least 2 characters"}},
		{`{"minLength":2,"maxLength":3}`, `"éé"`, nil}, // code points, not bytes
		{`{"maxLength":3}`, `"abcd"`, []string{"must be at most 3 characters"}},
		{`{"minimum":1,"maximum":10}`, `10`, nil},
		{`{"minimum":1,"maximum":10}`, `10.5`, []string{"/ must be <= 10"}},
		{`{"minimum":1.5}`, `1`, []string{"must be >= 1.5"}},
		{`{"maximum":9007199254740993}`, `9007199254740994`, []string{"must be <= 9007199254740993"}},
		{`{"exclusiveMinimum":0,"exclusiveMaximum":1}`, `0`, []string{"must be > 0"}},
		{`{"exclusiveMinimum":0,"exclusiveMaximum":1}`, `1`, []string{"must be < 1"}},
		{`{"items":{"type":"string"},"minItems":1,"maxItems":2}`, `["a",2,"c"]`,
			[]string{"/ must have at most 2 items", "/1 must be string"}},
		{`{"items":{"type":"string"},"minItems":1}`, `[]`, []string{"must have at least 1 items"}},
		{`{"title":"T","description":"D","default":1,"format":"email","x-ui":"wide"}`, `"not an email"`, nil},
	}
	for _, c := range cases {
		v, err := CompileSchemaJSON([]byte(c.schema))
		if err != nil {
			t.Errorf("%s: %v", c.schema, err)
			continue
		}
		errs := v.Validate([]byte(c.value))
		if len(errs) != len(c.errs) {
			t.Errorf("%s on %s: got %v, want %v", c.schema, c.value, errs, c.errs)
			continue
		}
		for i, want := range c.errs {
			if !strings.Contains(errs[i].String(), want) {
				t.Errorf("%s on %s: error %d is %q, want it to contain %q", c.schema, c.value, i, errs[i], want)
			}
		}
	}
}

func TestValidatorGoSchemas(t *testing.T) {
	// schemas written as Go literals (ints, []string, nested Schema) behave as their JSON
	v, err := CompileSchema(refundSchema)
	if err != nil {
		t.Fatal(err)
	}
	if errs := v.Validate([]byte(`{"payment_intent":"pi_1","amount_minor":5,"currency":"eur","reason":"duplicate"}`)); errs != nil {
		t.Errorf("valid input refused: %v", errs)
	}
	if errs := v.ValidateValue(map[string]any{"payment_intent": "pi_1", "amount_minor": 0, "currency": "eur", "reason": "duplicate"}); len(errs) != 1 {
		t.Errorf("want one error, got %v", errs)
	}
}

func TestValidatorLimitsAndErrors(t *testing.T) {
	v, _ := CompileSchemaJSON([]byte(`{"items":{"type":"string"}}`))
	many := "[" + strings.TrimSuffix(strings.Repeat("1,", 100), ",") + "]"
	if errs := v.Validate([]byte(many)); len(errs) != maxValidationErrors {
		t.Errorf("want %d errors, got %d", maxValidationErrors, len(errs))
	}
	for _, bad := range []string{
		`{"type":"str"}`, `{"type":3}`, `{"required":"a"}`, `{"minLength":-1}`, `{"minLength":1.5}`,
		`{"pattern":"("}`, `{"minimum":"1"}`, `{"properties":{"a":3}}`, `[]`,
	} {
		if _, err := CompileSchemaJSON([]byte(bad)); err == nil {
			t.Errorf("%s should not compile", bad)
		}
	}
	v, _ = CompileSchemaJSON([]byte(`{"anyOf":[{"type":"string"}],"$ref":"#/x","title":"t","properties":{"a/b":{"multipleOf":2}}}`))
	if u := strings.Join(v.Unsupported(), ","); u != "#/$ref,#/anyOf,#/properties/a~1b/multipleOf" {
		t.Errorf("unsupported %q", u)
	}
}
