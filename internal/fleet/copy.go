package fleet

// DeepCopy returns a copy of the snapshot that shares no memory with it.
func (s *Snapshot) DeepCopy() *Snapshot {
	if s == nil {
		return nil
	}
	out := *s
	out.Time = *s.Time.DeepCopy()
	out.Nodes = nil
	for i := range s.Nodes {
		out.Nodes = append(out.Nodes, *s.Nodes[i].DeepCopy())
	}
	out.Pods = nil
	for i := range s.Pods {
		out.Pods = append(out.Pods, *s.Pods[i].DeepCopy())
	}
	out.PodDisruptionBudgets = nil
	for i := range s.PodDisruptionBudgets {
		out.PodDisruptionBudgets = append(out.PodDisruptionBudgets, *s.PodDisruptionBudgets[i].DeepCopy())
	}
	if s.Series != nil {
		out.Series = make(map[string]map[string]string, len(s.Series))
		for node, metrics := range s.Series {
			m := make(map[string]string, len(metrics))
			for k, v := range metrics {
				m[k] = v
			}
			out.Series[node] = m
		}
	}
	out.Warnings = nil
	for _, w := range s.Warnings {
		c := *w
		out.Warnings = append(out.Warnings, &c)
	}
	return &out
}
