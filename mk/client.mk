# mk/client.mk: ais-client's example (ais-ffi/client/examples/members.rs), a Rust program
# using the CLM service directly, run against a live executive.

CLIENT_MEMBERS := $(RELEASE)/examples/members

.PHONY: client-example-check
check: client-example-check

client-example-check: build
	$(CARGO) build --release -p ais-client --example members
	c-tests/one-node.sh $(RELEASE) $(CLIENT_MEMBERS) | tee $(RELEASE)/client-members.out
	@grep '^view [0-9]*: 1 member(s)$$' $(RELEASE)/client-members.out >/dev/null || \
		{ echo "client-example-check: members printed no one-member view" >&2; exit 1; }
	@grep '^  node  *[0-9][0-9]*  *127\.0\.0\.1 .* no change$$' $(RELEASE)/client-members.out >/dev/null || \
		{ echo "client-example-check: members did not list the local node" >&2; exit 1; }
	@echo "client-example-check: ok"
