# Tilpass Helsenorge in front of Varnish 7 (7.1 and later) with varnish-modules (xkey).
#
# What is cached: patients' reads, GET (or HEAD) /graphql?query=… without credentials. The
# origin marks them `Cache-Control: public, max-age=0, s-maxage=S` (S: seconds until the next
# midnight in Europe/Oslo) and names the practices they show in `xkey: practice-<herId> …`.
# Everything else goes to the origin untouched. When a practice changes, the service sends
# `PURGE /` with `xkey-purge: practice-<herId> …` and its reads are dropped at once.
#
# Started as `varnishd -f /abs/path/tilpass.vcl …`.

vcl 4.1;

import std;
import xkey;

# The backend (the origin's address, timeouts, health probe) lives beside this file, so
# that an operator replaces backend.vcl and never edits this one. An include starting with
# "./" is found relative to the folder of the file that includes it; a plain "backend.vcl"
# would be looked up in the vcl_path parameter (/etc/varnish:/usr/share/varnish/vcl by
# default) and fail when this file lives elsewhere, unless varnishd is started with
# `-p vcl_path=<this folder>`.
include "./backend.vcl";

# Who may purge: the Tilpass service, which purges every practice it changes. Loopback
# only by default; operators add their service's addresses (or networks, "10.0.0.0"/8).
acl purgers {
    "127.0.0.1";
    "::1";
}

sub vcl_recv {
    # Our working headers come from this VCL, never from a client.
    unset req.http.X-Tilpass-Purged;
    unset req.http.X-Tilpass-Media;

    if (req.method == "PURGE") {
        call tilpass_purge;
    }

    # Only patients' reads are cached: GraphQL over GET with the operation in the query
    # string. POST, the admin page, GraphiQL, /healthz, /metrics … all pass.
    if ((req.method != "GET" && req.method != "HEAD") || req.url !~ "^/graphql\?") {
        return (pass);
    }

    # Credentials mean an answer for one person (the admin page, a signed-in clinician):
    # never looked up, never stored, sent on as they came, cookies and all.
    if (req.http.Authorization || req.http.DPoP ||
        req.http.Cookie ~ "(^|;)\s*(__Host-)?tilpass_(session|login)=") {
        return (pass);
    }

    # One object per response media type (see tilpass_accept and vcl_hash).
    call tilpass_accept;
    if (!req.http.X-Tilpass-Media) {
        # The client accepts neither of our types: the origin answers 406, uncached.
        return (pass);
    }
    set req.http.Accept = req.http.X-Tilpass-Media;
    unset req.http.X-Tilpass-Media;

    # Other cookies (analytics and the like, set for the whole site) mean nothing to the
    # origin's reads, and one shared answer must not depend on them: dropped, so that a
    # patient with them still gets the cached read (Varnish's built-in rules would pass
    # any request with a Cookie).
    unset req.http.Cookie;
    return (hash);
}

# PURGE / with `xkey-purge: practice-1 practice-2`: drops every object tagged with any of
# the keys (space-separated), answers 200 with the number dropped.
sub tilpass_purge {
    if (client.ip !~ purgers) {
        return (synth(403, "Forbidden"));
    }
    if (req.http.xkey-purge !~ "[^\s,]") {
        return (synth(400, "xkey-purge header missing"));
    }
    # A hard purge: the objects are gone, grace included. A soft purge would keep them
    # for grace, and a patient could be shown a practice's old texts after its change.
    set req.http.X-Tilpass-Purged = xkey.purge(req.http.xkey-purge);
    return (synth(200, "Purged " + req.http.X-Tilpass-Purged));
}

# Sets X-Tilpass-Media to the media type the origin would answer in for this Accept, or
# leaves it unset when the client accepts neither; mirrors edge/negotiation.py. Each of our
# two types takes its quality from the most specific range that matches it (the type
# itself, application/*, */*); the higher quality wins; on equal quality
# application/graphql-response+json wins only when the client names it. No Accept at all
# means application/json. Varnish has no loops, so the four ranges are spelled out.
sub tilpass_accept {
    if (req.http.Accept !~ "\S") {
        set req.http.X-Tilpass-Media = "application/json";
        return;
    }
    # "Application/JSON ; q=0.5" and "application/json;q=0.5" are one range.
    set req.http.X-Tilpass-Accept = std.tolower(regsuball(req.http.Accept, "\s+", ""));

    # The parameters of each range's first occurrence (";q=0.5;…", or "" without any);
    # the header stays unset when the range is not there.
    unset req.http.X-Tilpass-P-Graphql;
    unset req.http.X-Tilpass-P-Json;
    unset req.http.X-Tilpass-P-App;
    unset req.http.X-Tilpass-P-All;
    if (req.http.X-Tilpass-Accept ~ "(^|,)application/graphql-response\+json(;|,|$)") {
        set req.http.X-Tilpass-P-Graphql = regsub(req.http.X-Tilpass-Accept,
            "^(?:[^,]*,)*?application/graphql-response\+json((?:;[^,]*)?)(?:,.*)?$", "\1");
    }
    if (req.http.X-Tilpass-Accept ~ "(^|,)application/json(;|,|$)") {
        set req.http.X-Tilpass-P-Json = regsub(req.http.X-Tilpass-Accept,
            "^(?:[^,]*,)*?application/json((?:;[^,]*)?)(?:,.*)?$", "\1");
    }
    if (req.http.X-Tilpass-Accept ~ "(^|,)application/\*(;|,|$)") {
        set req.http.X-Tilpass-P-App = regsub(req.http.X-Tilpass-Accept,
            "^(?:[^,]*,)*?application/\*((?:;[^,]*)?)(?:,.*)?$", "\1");
    }
    if (req.http.X-Tilpass-Accept ~ "(^|,)\*/\*(;|,|$)") {
        set req.http.X-Tilpass-P-All = regsub(req.http.X-Tilpass-Accept,
            "^(?:[^,]*,)*?\*/\*((?:;[^,]*)?)(?:,.*)?$", "\1");
    }

    # Each type's parameters: from its most specific matching range.
    if (req.http.X-Tilpass-P-Graphql) {
        set req.http.X-Tilpass-Q-Graphql = req.http.X-Tilpass-P-Graphql;
    } elseif (req.http.X-Tilpass-P-App) {
        set req.http.X-Tilpass-Q-Graphql = req.http.X-Tilpass-P-App;
    } elseif (req.http.X-Tilpass-P-All) {
        set req.http.X-Tilpass-Q-Graphql = req.http.X-Tilpass-P-All;
    } else {
        set req.http.X-Tilpass-Q-Graphql = ";q=0";
    }
    if (req.http.X-Tilpass-P-Json) {
        set req.http.X-Tilpass-Q-Json = req.http.X-Tilpass-P-Json;
    } elseif (req.http.X-Tilpass-P-App) {
        set req.http.X-Tilpass-Q-Json = req.http.X-Tilpass-P-App;
    } elseif (req.http.X-Tilpass-P-All) {
        set req.http.X-Tilpass-Q-Json = req.http.X-Tilpass-P-All;
    } else {
        set req.http.X-Tilpass-Q-Json = ";q=0";
    }

    # …and from those, the quality: the last q= (1 without one; 0 when it is no number),
    # held to 0…1.
    if (req.http.X-Tilpass-Q-Graphql ~ ";q=") {
        set req.http.X-Tilpass-Q-Graphql = std.real(
            regsub(req.http.X-Tilpass-Q-Graphql, "^.*;q=([^;]*).*$", "\1"), 0.0);
    } else {
        set req.http.X-Tilpass-Q-Graphql = "1";
    }
    if (req.http.X-Tilpass-Q-Json ~ ";q=") {
        set req.http.X-Tilpass-Q-Json = std.real(
            regsub(req.http.X-Tilpass-Q-Json, "^.*;q=([^;]*).*$", "\1"), 0.0);
    } else {
        set req.http.X-Tilpass-Q-Json = "1";
    }
    if (std.real(req.http.X-Tilpass-Q-Graphql, 0.0) > 1.0) {
        set req.http.X-Tilpass-Q-Graphql = "1";
    }
    if (std.real(req.http.X-Tilpass-Q-Json, 0.0) > 1.0) {
        set req.http.X-Tilpass-Q-Json = "1";
    }

    if (std.real(req.http.X-Tilpass-Q-Graphql, 0.0) > 0.0 &&
        (std.real(req.http.X-Tilpass-Q-Graphql, 0.0) > std.real(req.http.X-Tilpass-Q-Json, 0.0) ||
         (std.real(req.http.X-Tilpass-Q-Graphql, 0.0) == std.real(req.http.X-Tilpass-Q-Json, 0.0) &&
          req.http.X-Tilpass-P-Graphql))) {
        set req.http.X-Tilpass-Media = "application/graphql-response+json";
    } elseif (std.real(req.http.X-Tilpass-Q-Json, 0.0) > 0.0) {
        set req.http.X-Tilpass-Media = "application/json";
    }

    unset req.http.X-Tilpass-Accept;
    unset req.http.X-Tilpass-P-Graphql;
    unset req.http.X-Tilpass-P-Json;
    unset req.http.X-Tilpass-P-App;
    unset req.http.X-Tilpass-P-All;
    unset req.http.X-Tilpass-Q-Graphql;
    unset req.http.X-Tilpass-Q-Json;
}

sub vcl_hash {
    # The same URL has one object per media type: the Accept normalised in vcl_recv. The
    # built-in vcl_hash (run after this) adds the URL and the Host.
    hash_data(req.http.Accept);
}

sub vcl_backend_response {
    if (bereq.uncacheable) {
        # A pass: nothing to decide.
        return (deliver);
    }

    # Stored: a 200 that names its practices (so that a purge can find it), with a TTL,
    # that the origin lets shared caches keep and that sets no cookie. Anything else, errors
    # (4xx, 5xx) and answers from the origin's last known state in an outage included, is
    # handed to this one client and remembered for a few seconds as hit-for-miss: requests
    # for it go straight to the origin (not queued behind one another), and the first
    # answer that may be stored replaces the marker.
    if (beresp.status != 200 || !beresp.http.xkey || beresp.ttl <= 0s ||
        beresp.http.Set-Cookie ||
        beresp.http.Cache-Control ~ "(?i)(^|[,\s])(no-store|no-cache|private)([,=\s]|$)" ||
        beresp.http.Vary == "*") {
        set beresp.ttl = 5s;
        set beresp.grace = 0s;
        set beresp.uncacheable = true;
        return (deliver);
    }

    # The TTL is Varnish's own reading of the answer: s-maxage before max-age, so a read
    # lives until the next Oslo midnight unless a purge drops it first.
    #
    # Grace: an expired read is served for a few seconds more while one background fetch
    # brings its replacement, so no patient waits for the origin, and the origin does not
    # get every practice's reads at once when they all expire at midnight. The price: up to
    # this long past midnight a read can show yesterday's dated content. It never outlives
    # a change: purges are hard (tilpass_purge) and drop graced objects too.
    set beresp.grace = 10s;
    return (deliver);
}

sub vcl_deliver {
    # For operators and tests; pass answers (obj.hits is 0) are MISS too.
    if (obj.hits > 0) {
        set resp.http.X-Cache = "HIT";
    } else {
        set resp.http.X-Cache = "MISS";
    }

    # The surrogate keys are for caches, not clients. (A CDN of the Fastly kind reads
    # Surrogate-Key and strips it itself; the origin sends both so either kind can purge.)
    unset resp.http.xkey;
    unset resp.http.Surrogate-Key;

    # s-maxage is this cache's instruction, not one for caches past it: a shared cache
    # downstream (a proxy at a hospital, say) would keep the read until midnight and
    # nobody purges it. Clients see `public, max-age=0`: revalidate every time.
    if (resp.http.Cache-Control ~ "(?i)s-maxage") {
        set resp.http.Cache-Control = regsub(
            regsuball(resp.http.Cache-Control, "(?i)(^|,)\s*s-maxage\s*=\s*\x22?\d+\x22?\s*(?=,|$)", ""),
            "^\s*,\s*", "");
    }
}

sub vcl_synth {
    # Our own answers (purges and refusals) in a line of text instead of the built-in
    # HTML page; a purge also says how many objects it dropped.
    set resp.http.Content-Type = "text/plain; charset=utf-8";
    set resp.http.Cache-Control = "no-store";
    if (req.http.X-Tilpass-Purged) {
        set resp.http.X-Purged = req.http.X-Tilpass-Purged;
    }
    set resp.body = resp.reason + {"
"};
    return (deliver);
}
