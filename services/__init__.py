"""Kuzet domain and back end: no web framework imports here, ever."""
