package domain_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/pitstop/pitstop/vehicles/internal/domain"
)

const owner = "9b3f7e55-52d7-4c1c-9f4e-6e6a6f0f1a10"

func valid() domain.Details {
	return domain.Details{Brand: "Volkswagen", Type: "Golf", OwnerID: owner}
}

func fieldsOf(t *testing.T, err error) map[string]string {
	t.Helper()
	var verr *domain.ValidationError
	if !errors.As(err, &verr) {
		t.Fatalf("error %v (%T) is not a *domain.ValidationError", err, err)
	}
	if !errors.Is(err, domain.ErrInvalidVehicle) {
		t.Errorf("error %v does not wrap domain.ErrInvalidVehicle", err)
	}
	m := map[string]string{}
	for _, f := range verr.Fields {
		if _, dup := m[f.Field]; dup {
			t.Errorf("field %s reported twice", f.Field)
		}
		m[f.Field] = f.Detail
	}
	return m
}

func TestNewVehicleValid(t *testing.T) {
	t.Parallel()
	v, err := domain.NewVehicle("ab-123-c", domain.Details{
		Brand:   "  Volkswagen ",
		Type:    "\tGolf GTI ",
		OwnerID: " " + strings.ToUpper(owner) + " ",
	})
	if err != nil {
		t.Fatal(err)
	}
	if v.LicenseNumber().String() != "AB-123-C" {
		t.Errorf("licence number %q, want upper-cased", v.LicenseNumber())
	}
	if v.Brand() != "Volkswagen" || v.Type() != "Golf GTI" {
		t.Errorf("brand %q type %q, want trimmed", v.Brand(), v.Type())
	}
	if v.OwnerID() != uuid.MustParse(owner) {
		t.Errorf("owner %s", v.OwnerID())
	}
	// Equal data make equal vehicles (registration idempotency relies on it).
	w, err := domain.NewVehicle("AB-123-C", valid())
	if err != nil {
		t.Fatal(err)
	}
	w2 := domain.RehydrateVehicle(domain.RehydrateLicenseNumber("AB-123-C"), "Volkswagen", "Golf GTI", uuid.MustParse(owner))
	if v != w2 || v == w {
		t.Errorf("equality: v=%+v w=%+v rehydrated=%+v", v, w, w2)
	}
}

func TestNewVehicleOwnerIDForms(t *testing.T) {
	t.Parallel()
	id := uuid.MustParse(owner)
	for _, s := range []string{owner, strings.ToUpper(owner), "{" + owner + "}", "urn:uuid:" + owner,
		strings.ReplaceAll(owner, "-", "")} {
		v, err := domain.NewVehicle("AB-123-C", domain.Details{Brand: "b", Type: "t", OwnerID: s})
		if err != nil {
			t.Errorf("owner %q: %v", s, err)
			continue
		}
		if v.OwnerID() != id {
			t.Errorf("owner %q parsed as %s", s, v.OwnerID())
		}
	}
}

func TestNewVehicleInvalid(t *testing.T) {
	t.Parallel()
	with := func(f func(*domain.Details)) domain.Details { d := valid(); f(&d); return d }
	tests := []struct {
		name    string
		license string
		d       domain.Details
		want    map[string]string // field -> substring of the detail
	}{
		{"all missing", "", domain.Details{}, map[string]string{
			"licenseNumber": "required", "brand": "required", "type": "required", "ownerId": "required"}},
		{"only blanks", "  ", domain.Details{Brand: " ", Type: "\t", OwnerID: "\n"}, map[string]string{
			"licenseNumber": "required", "brand": "required", "type": "required", "ownerId": "required"}},
		{"licence with four letters", "ABCD-1-2", valid(), map[string]string{"licenseNumber": "AB-123-C"}},
		{"licence with underscores", "AB_12_C", valid(), map[string]string{"licenseNumber": "AB-123-C"}},
		{"licence with Kelvin sign", "AB-1-\u212a", valid(), map[string]string{"licenseNumber": "AB-123-C"}},
		{"brand too long", "AB-123-C", with(func(d *domain.Details) { d.Brand = strings.Repeat("b", 101) }),
			map[string]string{"brand": "at most 100"}},
		{"type too long in characters", "AB-123-C", with(func(d *domain.Details) { d.Type = strings.Repeat("é", 101) }),
			map[string]string{"type": "at most 100"}},
		{"owner not a UUID", "AB-123-C", with(func(d *domain.Details) { d.OwnerID = "lisa" }),
			map[string]string{"ownerId": "UUID"}},
		{"owner nil UUID", "AB-123-C", with(func(d *domain.Details) { d.OwnerID = uuid.Nil.String() }),
			map[string]string{"ownerId": "nil UUID"}},
		{"owner with injection", "AB-123-C", with(func(d *domain.Details) { d.OwnerID = owner + "' OR 1=1" }),
			map[string]string{"ownerId": "UUID"}},
		{"NUL in brand", "AB-123-C", with(func(d *domain.Details) { d.Brand = "Volks\x00wagen" }),
			map[string]string{"brand": "control"}},
		{"line break in type", "AB-123-C", with(func(d *domain.Details) { d.Type = "Golf\r\nPolo" }),
			map[string]string{"type": "control"}},
		{"invalid UTF-8", "AB-123-C", with(func(d *domain.Details) { d.Brand = "Volks\xffwagen" }),
			map[string]string{"brand": "UTF-8"}},
		{"several fields", "AB-1234-C", with(func(d *domain.Details) { d.Brand = ""; d.OwnerID = "x" }),
			map[string]string{"licenseNumber": "AB-123-C", "brand": "required", "ownerId": "UUID"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			v, err := domain.NewVehicle(tt.license, tt.d)
			if err == nil {
				t.Fatalf("NewVehicle accepted %q %+v", tt.license, tt.d)
			}
			if v != (domain.Vehicle{}) {
				t.Errorf("returned a non-zero vehicle with an error")
			}
			got := fieldsOf(t, err)
			if len(got) != len(tt.want) {
				t.Errorf("fields = %v, want exactly %v", got, tt.want)
			}
			for f, sub := range tt.want {
				if !strings.Contains(got[f], sub) {
					t.Errorf("field %s: detail %q, want it to mention %q (all: %v)", f, got[f], sub, got)
				}
			}
		})
	}
}

func TestNewVehicleBoundaries(t *testing.T) {
	t.Parallel()
	d := domain.Details{Brand: strings.Repeat("å", 100), Type: strings.Repeat("t", 100), OwnerID: owner}
	if _, err := domain.NewVehicle("123-ABC-1", d); err != nil {
		t.Fatalf("maximum lengths rejected: %v", err)
	}
}

func TestValidationErrorOrder(t *testing.T) {
	t.Parallel()
	_, err := domain.NewVehicle("", domain.Details{})
	var verr *domain.ValidationError
	if !errors.As(err, &verr) {
		t.Fatal(err)
	}
	var got []string
	for _, f := range verr.Fields {
		got = append(got, f.Field)
	}
	if want := []string{"licenseNumber", "brand", "type", "ownerId"}; !reflect.DeepEqual(got, want) {
		t.Errorf("field order %v, want %v", got, want)
	}
	if got, want := err.Error(), "invalid vehicle: licenseNumber: is required; brand: is required; type: is required; ownerId: is required"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

func TestValidateDetails(t *testing.T) {
	t.Parallel()
	if err := domain.ValidateDetails(valid()); err != nil {
		t.Errorf("ValidateDetails(valid) = %v", err)
	}
	if got := fieldsOf(t, domain.ValidateDetails(domain.Details{Brand: "b"})); len(got) != 2 || got["type"] == "" || got["ownerId"] == "" {
		t.Errorf("ValidateDetails fields %v", got)
	}
}

func TestVehicleUpdate(t *testing.T) {
	t.Parallel()
	newOwner := uuid.New()
	tests := []struct {
		name        string
		d           domain.Details
		wantChanged bool
		wantErr     []string
		want        domain.Vehicle
	}{
		{"same data", valid(), false, nil, mustVehicle(t, valid())},
		{"same data, other spelling", domain.Details{Brand: " Volkswagen", Type: "Golf ", OwnerID: strings.ToUpper(owner)},
			false, nil, mustVehicle(t, valid())},
		{"new type", domain.Details{Brand: "Volkswagen", Type: "Polo", OwnerID: owner}, true, nil,
			mustVehicle(t, domain.Details{Brand: "Volkswagen", Type: "Polo", OwnerID: owner})},
		{"new owner", domain.Details{Brand: "Volkswagen", Type: "Golf", OwnerID: newOwner.String()}, true, nil,
			mustVehicle(t, domain.Details{Brand: "Volkswagen", Type: "Golf", OwnerID: newOwner.String()})},
		{"invalid", domain.Details{Brand: "", Type: "Polo", OwnerID: "x"}, false, []string{"brand", "ownerId"},
			mustVehicle(t, valid())},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			v := mustVehicle(t, valid())
			changed, err := v.Update(tt.d)
			if tt.wantErr != nil {
				got := fieldsOf(t, err)
				for _, f := range tt.wantErr {
					if got[f] == "" {
						t.Errorf("no error for %s: %v", f, got)
					}
				}
				if len(got) != len(tt.wantErr) {
					t.Errorf("errors %v, want %v", got, tt.wantErr)
				}
			} else if err != nil {
				t.Fatal(err)
			}
			if changed != tt.wantChanged {
				t.Errorf("changed = %v, want %v", changed, tt.wantChanged)
			}
			if v != tt.want {
				t.Errorf("vehicle %+v, want %+v", v, tt.want)
			}
		})
	}
}

func mustVehicle(t *testing.T, d domain.Details) domain.Vehicle {
	t.Helper()
	v, err := domain.NewVehicle("AB-123-C", d)
	if err != nil {
		t.Fatal(err)
	}
	return v
}
