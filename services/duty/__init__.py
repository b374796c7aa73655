"""The duty room's work: incidents and their lifecycle, dispatch, SOPs, policy, the case file, the wall."""
