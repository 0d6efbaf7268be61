// The test console's microphone (static/app/console.js): an AudioWorklet that takes the
// microphone at the audio context's rate, brings it down to the rate the conversation asked
// for (conversation_initiation_metadata's user_input_audio_format, say 16 kHz) by averaging
// each output sample's share of input samples, and posts 16-bit PCM chunks of `chunkMs`,
// with the chunk's peak level for the voice activity light. Its output is silence.
"use strict";

class MicChunker extends AudioWorkletProcessor {
  constructor(options) {
    super();
    const { targetRate, chunkMs } = options.processorOptions;
    // `sampleRate` is the context's rate, a global of the worklet scope.
    this.step = Math.max(sampleRate / targetRate, 1);
    this.chunk = new Int16Array(Math.round((targetRate * chunkMs) / 1000));
    this.filled = 0;
    this.phase = 0;
    this.sum = 0;
    this.count = 0;
    this.peak = 0;
  }

  process(inputs) {
    const channel = inputs[0] && inputs[0][0];
    if (!channel) return true;
    for (let i = 0; i < channel.length; i += 1) {
      this.sum += channel[i];
      this.count += 1;
      this.phase += 1;
      if (this.phase >= this.step) {
        this.phase -= this.step;
        this.push(this.sum / this.count);
        this.sum = 0;
        this.count = 0;
      }
    }
    return true;
  }

  push(value) {
    const clipped = Math.max(-1, Math.min(1, value));
    const sample = Math.round(clipped < 0 ? clipped * 32768 : clipped * 32767);
    this.chunk[this.filled] = sample;
    this.filled += 1;
    this.peak = Math.max(this.peak, Math.abs(sample));
    if (this.filled === this.chunk.length) {
      const pcm = this.chunk.slice();
      this.port.postMessage({ pcm: pcm.buffer, peak: this.peak }, [pcm.buffer]);
      this.filled = 0;
      this.peak = 0;
    }
  }
}

registerProcessor("mic-chunker", MicChunker);
