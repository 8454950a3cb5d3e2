# Agreement checks over the logs cpg_check wrote (one file per member alive at
# the end of a test, senders stopped and settled): see bed_cpg_verify in bed.sh.
# Prints one summary line and exits 0, or prints what is wrong and exits 1.
# POSIX awk (mawk, gawk).

function base(path) { sub(/.*\//, "", path); sub(/\.log$/, "", path); return path }

function err(f, text) {
    nerr++
    if (nerr <= 12) print base(name[f]) ": " text
}

FNR == 1 { nf++; name[nf] = FILENAME; per[nf] = 0; cnt[nf] = 0; sent[nf] = 0 }

$1 == "I" { me[nf] = $2 ":" $3 }

$1 == "C" {
    q = ++per[nf]
    nconf++
    list = "C"; m = ""
    for (i = 2; i <= NF; i++) {
        if ($i == "L" || $i == "J") { list = $i; continue }
        if (list == "C") { mem[nf, q, $i] = 1; m = m " " $i }
        else if (list == "L") {
            split($i, a, ":"); k = a[1] ":" a[2]
            left[nf, q, k] = 1
            leftflag[nf, k] = 1
        }
    }
    cfg[nf, q] = m
}

$1 == "D" {
    s = $2 ":" $3; n = $4 + 0; key = s ":" n
    ndel++
    if ((nf, key) in pos) { err(nf, "delivered " key " twice (line " FNR ")"); next }
    pos[nf, key] = ++cnt[nf]
    msg[nf, cnt[nf]] = key
    inper[nf, key] = per[nf]
    if (!((nf, per[nf], s) in mem))
        err(nf, "delivered " key " while " s " is not a member (line " FNR ")")
    if ((nf, s) in lastseq) {
        if (n <= lastseq[nf, s])
            err(nf, "delivered " key " after " s ":" lastseq[nf, s] " (line " FNR ")")
        else if (n > lastseq[nf, s] + 1 && !leftflag[nf, s])
            err(nf, "delivered " key " after " s ":" lastseq[nf, s] " though " s " never left (line " FNR ")")
    }
    lastseq[nf, s] = n
    leftflag[nf, s] = 0
}

$1 == "S" && $2 == "stop" { sent[nf] = $3 + 0 }

$1 == "B" || $1 == "X" { err(nf, "line " FNR ": " $0) }

END {
    for (f = 1; f <= nf; f++) {
        if (!(f in me)) { err(f, "no I line: the member never started"); continue }
        for (n = 1; n <= sent[f]; n++)
            if (!((f, me[f] ":" n) in pos)) {
                err(f, "never delivered its own message " me[f] ":" n " (sent 1.." sent[f] ")")
                break
            }
    }
    # Order and configuration of the messages two members both delivered.
    for (i = 1; i <= nf; i++) for (j = i + 1; j <= nf; j++) {
        last = 0; common[i, j] = 0
        for (c = 1; c <= cnt[j]; c++) {
            key = msg[j, c]
            if (!((i, key) in pos)) continue
            common[i, j]++
            p = pos[i, key]
            if (p < last) {
                err(j, key " comes before " msg[i, last] " here, after it in " base(name[i]))
                break
            }
            last = p
            if (cfg[i, inper[i, key]] != cfg[j, inper[j, key]]) {
                err(j, key " delivered among (" cfg[j, inper[j, key]] " ) here, among (" \
                    cfg[i, inper[i, key]] " ) in " base(name[i]))
                break
            }
        }
    }
    # Members that went on together delivered the same set in the configuration they left.
    for (i = 1; i <= nf; i++) for (j = 1; j <= nf; j++) {
        if (i == j || !(j in me)) continue
        mej = me[j]
        for (c = 1; c <= cnt[i]; c++) {
            key = msg[i, c]; q = inper[i, key]
            if (!((i, q, mej) in mem)) continue
            if (q < per[i] && (!((i, q + 1, mej) in mem) || ((i, q + 1, mej) in left))) continue
            if (!((j, key) in pos)) {
                err(i, "delivered " key " in configuration (" cfg[i, q] " ) #" q \
                    "; " base(name[j]) " was in it and stayed, but did not deliver it")
                break
            }
        }
    }
    if (nerr > 0) {
        if (nerr > 12) print "... " nerr - 12 " more"
        exit 1
    }
    printf "CPG agreement over %d members: %d deliveries, %d configuration changes, order, views and sets agree\n", \
        nf, ndel, nconf
}
