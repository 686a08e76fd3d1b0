package main

func newPipePump(*teeRun) pump { return nil }
