package plan

import (
	"reflect"

	"github.com/nodeguardian/nodeguardian/internal/strictjson"
)

// checkKeys refuses what encoding/json lets through but the plan's JSON form
// (schemas/plan.schema.json) does not: a field name in another case ("Id" for "id") and
// a key given twice in one object (strictjson.CheckKeys). The error names the line and
// the key.
func checkKeys(data []byte) error {
	return strictjson.CheckKeys(data, reflect.TypeFor[Plan](), "the plan")
}
