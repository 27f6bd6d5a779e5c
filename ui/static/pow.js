// TrackChild citizen form: solve the server's proof-of-work challenge before the report is sent.
// Find a nonce such that SHA-256("<challenge>:<nonce>") starts with <bits> zero bits
// (search_api/citizen/proof.py checks it with one hash). A small SHA-256 written for this page
// (FIPS 180-4), so that it also runs where crypto.subtle is missing (plain http on a LAN).
// Without JavaScript the form is still sent, and the report waits longer before moderation.
"use strict";

const K = new Uint32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);
const W = new Uint32Array(64);

// The first 32 bits of SHA-256 of an ASCII string (all a zero-bit count needs).
function sha256Head(text) {
  const length = text.length;
  const blocks = ((length + 8) >> 6) + 1;
  const words = new Uint32Array(blocks * 16);
  for (let i = 0; i < length; i++) words[i >> 2] |= (text.charCodeAt(i) & 0xff) << (24 - (i & 3) * 8);
  words[length >> 2] |= 0x80 << (24 - (length & 3) * 8);
  words[blocks * 16 - 1] = length * 8;
  let h0 = 0x6a09e667, h1 = 0xbb67ae85, h2 = 0x3c6ef372, h3 = 0xa54ff53a;
  let h4 = 0x510e527f, h5 = 0x9b05688c, h6 = 0x1f83d9ab, h7 = 0x5be0cd19;
  for (let b = 0; b < blocks; b++) {
    for (let t = 0; t < 16; t++) W[t] = words[b * 16 + t];
    for (let t = 16; t < 64; t++) {
      const x = W[t - 15], y = W[t - 2];
      const s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3);
      const s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10);
      W[t] = (W[t - 16] + s0 + W[t - 7] + s1) | 0;
    }
    let a = h0, c = h2, d = h3, e = h4, f = h5, g = h6, h = h7, bb = h1;
    for (let t = 0; t < 64; t++) {
      const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
      const t1 = (h + S1 + ((e & f) ^ (~e & g)) + K[t] + W[t]) | 0;
      const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
      const t2 = (S0 + ((a & bb) ^ (a & c) ^ (bb & c))) | 0;
      h = g; g = f; f = e; e = (d + t1) | 0; d = c; c = bb; bb = a; a = (t1 + t2) | 0;
    }
    h0 = (h0 + a) | 0; h1 = (h1 + bb) | 0; h2 = (h2 + c) | 0; h3 = (h3 + d) | 0;
    h4 = (h4 + e) | 0; h5 = (h5 + f) | 0; h6 = (h6 + g) | 0; h7 = (h7 + h) | 0;
  }
  return h0 >>> 0;
}

function solveInSlices(challenge, bits, done) {
  // bits <= 28 (the server's bound), so the first word decides
  const limit = bits >= 32 ? 0 : Math.pow(2, 32 - bits);
  let nonce = 0;
  function slice() {
    const stop = nonce + 20000;
    for (; nonce < stop; nonce++) {
      if (sha256Head(challenge + ":" + nonce) < limit) { done(String(nonce)); return; }
    }
    setTimeout(slice, 0); // let the page breathe between slices
  }
  slice();
}

document.addEventListener("DOMContentLoaded", () => {
  const form = document.getElementById("citizen-report");
  if (!form || !form.dataset.challenge) return;
  const status = document.getElementById("pow-status");
  const nonceInput = form.querySelector("input[name=pow_nonce]");
  let solved = false, waiting = false;
  if (status) status.textContent = status.dataset.working || "";
  solveInSlices(form.dataset.challenge, Number(form.dataset.bits), (nonce) => {
    nonceInput.value = nonce;
    solved = true;
    form.dataset.solved = "1";
    if (status) status.textContent = status.dataset.done || "";
    if (waiting) form.submit();
  });
  form.addEventListener("submit", (event) => {
    if (!solved) { event.preventDefault(); waiting = true; }
  });
});
