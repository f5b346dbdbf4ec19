// Job data, options and results are JSON documents; users of the queue need the type.
@_exported import JSONSupport
