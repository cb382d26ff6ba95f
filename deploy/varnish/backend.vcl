# Where Varnish finds the Tilpass origin: an example. tilpass.vcl includes this file from
# its own folder; replace it with one naming your origin (or a director over several).

backend default {
    .host = "127.0.0.1";
    .port = "8000";

    # Opening a connection is quick or the origin is not there: fail fast and let the
    # probe mark it sick rather than hold patients for long.
    .connect_timeout = 2s;
    # A patient read is a few database queries; a read past this is stuck, not slow.
    .first_byte_timeout = 15s;
    # Answers are small JSON documents sent in one go; a long gap means a stalled origin.
    .between_bytes_timeout = 5s;

    # /healthz says the process is up (it does not touch the database, so a slow database
    # does not take the origin out of rotation; reads then fail on their own and are never
    # cached). Healthy from the start (.initial = .threshold): no 503s while the first
    # probes run.
    .probe = {
        .url = "/healthz";
        .interval = 5s;
        .timeout = 2s;
        .window = 5;
        .threshold = 3;
        .initial = 3;
        .expected_response = 200;
    }
}
