package mapping

// lifecyclePrivilegeNeeds adds the privileges the lifecycle actions and a
// delete out of the scope use: UPDATE on the columns set: writes, INSERT
// and UPDATE on a write_row's table, DELETE on a delete_row's (and on a
// write_row's when delete: delete removes the user's rows there). It
// reports whether the user's row is updated.
func (r *Resource) lifecyclePrivilegeNeeds(add func(priv, table, column string, line int, key, why string)) bool {
	updated := false
	if r.Delete == DeleteOutOfScope {
		for _, s := range r.DeleteSet {
			add("UPDATE", r.Table, s.Column, r.deleteLine, r.key+".delete.set", "written by DELETE "+r.Endpoint+"/{id}, which moves the row out of the scope")
			updated = true
		}
	}
	if r.Active == nil || r.Active.Life == nil {
		return updated
	}
	l := r.Active.Life
	for _, acts := range []struct {
		list []LifeAction
		key  string
	}{{l.Deactivate, ".active.deactivate"}, {l.Reactivate, ".active.reactivate"}} {
		why := "written by " + acts.key[len(".active."):] + " (PATCH active)"
		for _, a := range acts.list {
			switch {
			case a.Row == nil:
				for _, s := range a.Set {
					add("UPDATE", r.Table, s.Column, r.activeLine, r.key+acts.key, why)
					updated = true
				}
			case a.Delete:
				add("DELETE", a.Row.Table, "", r.activeLine, r.key+acts.key, why)
			default:
				for _, col := range append(append([]string{a.Row.Key}, columnNames(a.Row.Where)...), lifeSetColumns(a.Set)...) {
					add("INSERT", a.Row.Table, col, r.activeLine, r.key+acts.key, why)
				}
				for _, col := range lifeSetColumns(a.Set) {
					add("UPDATE", a.Row.Table, col, r.activeLine, r.key+acts.key, why)
				}
				if r.Delete == DeleteRow {
					add("DELETE", a.Row.Table, "", r.deleteLine, r.key+".delete", "DELETE /Users/{id} deletes the user's rows the lifecycle writes")
				}
			}
		}
	}
	return updated
}

// lifeSetColumns names the columns of set: writes.
func lifeSetColumns(sets []LifeSet) []string {
	out := make([]string, len(sets))
	for i, s := range sets {
		out[i] = s.Column
	}
	return out
}
