// The test console (/app/agents/<id>/test): a conversation with an agent through
// Switchboard's relay (/ws/agents/<id>/conversation), which speaks ElevenLabs' conversation
// protocol unchanged (shared/elevenlabs/agent.asyncapi.yaml). Written for this page rather
// than using @elevenlabs/client: see docs/ui.md, "The test console".
//
// - Typed messages go as `user_message`; the microphone, through an AudioWorklet
//   (console-mic-worklet.js), as `user_audio_chunk`s of 100 ms at the rate the conversation
//   announced. The agent's `audio` is played through an AudioContext queue, stopped on
//   `interruption`.
// - The transcript is live: tentative user text greyed until the final transcript replaces
//   it, corrections applied in place, interruptions and tool calls marked.
// - A `client_tool_call` is answered from the stubs (JSON by tool name), else as an error:
//   "not available in test".
// - The first frame, `conversation_initiation_client_data`, carries the dynamic variables and
//   the overrides set on the page (the part [data-console-options], rendered by the server
//   for the version chosen: only the overrides that version allows).
// - When the conversation ends, the record the relay kept is fetched by ElevenLabs' id (the
//   page never learns the record's own id otherwise) with its length, transcript and the
//   form that saves it as a test result.
"use strict";

(function () {
  const root = document.querySelector("[data-console]");
  if (!root) return;
  const part = (name) => root.querySelector(`[data-console-${name}]`);
  const ui = {
    start: part("start"),
    end: part("end"),
    target: part("target"),
    useMic: part("use-mic"),
    stubs: part("stubs"),
    state: part("state"),
    clock: part("clock"),
    error: part("error"),
    transcript: part("transcript"),
    compose: part("compose"),
    message: part("message"),
    send: part("send"),
    mute: part("mute"),
    userActivity: root.querySelector("[data-activity=user]"),
    agentActivity: root.querySelector("[data-activity=agent]"),
  };
  if (!ui.start) return; // the user may not talk to the agent: the page says why

  const CHUNK_MS = 100;
  const SPEECH_PEAK = 1000; // of 32767: the level above which the microphone hears a voice
  let socket = null;
  let conversationId = null;
  let startedAt = 0;
  let clockTimer = null;
  let input = { rate: 16000, ulaw: false };
  let output = { rate: 16000, ulaw: false };
  let audio = null;
  let mic = null; // {stream, source, node}
  let muted = false;
  let stubs = {};
  let useMic = true;
  const playing = new Set();
  let playhead = 0;
  let interruptedUpTo = 0;
  const agentTurns = new Map(); // event_id -> its <li>
  let tentative = null; // the <li> of what the user is heard saying so far
  let lastAgentTurn = null;

  // --- the page

  function setState(text, state) {
    ui.state.textContent = text;
    root.dataset.state = state;
    const live = state === "connected";
    const busy = state === "connecting" || live;
    ui.start.disabled = busy;
    ui.end.disabled = !busy;
    ui.target.disabled = ui.useMic.disabled = busy;
    // What the conversation started with cannot change while it goes on.
    for (const control of root.querySelectorAll("[data-console-options] :is(input, textarea, button)")) {
      control.disabled = busy;
    }
    ui.message.disabled = ui.send.disabled = !live;
    ui.mute.disabled = !(live && mic);
    ui.mute.hidden = !mic;
  }

  function showError(message) {
    ui.error.textContent = message;
    ui.error.hidden = !message;
  }

  function clockText(ms) {
    const seconds = Math.max(Math.floor(ms / 1000), 0);
    return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, "0")}`;
  }

  function elapsed() {
    return startedAt ? Date.now() - startedAt : 0;
  }

  function tag(text, css) {
    const span = document.createElement("span");
    span.className = css ? `tag ${css}` : "tag";
    span.textContent = text;
    return span;
  }

  function addTurn(role, text, { eventId = null, isTentative = false } = {}) {
    const item = document.createElement("li");
    item.className = `turn turn-${role}${isTentative ? " turn-tentative" : ""}`;
    const meta = document.createElement("span");
    meta.className = "turn-meta";
    const who = document.createElement("span");
    who.className = "turn-role";
    who.textContent = role === "user" ? "User" : "Agent";
    const when = document.createElement("time");
    when.className = "muted";
    when.textContent = clockText(elapsed());
    meta.append(who, " ", when);
    const said = document.createElement("span");
    said.className = "turn-text";
    said.textContent = text;
    item.append(meta, said);
    if (eventId !== null) {
      item.dataset.eventId = eventId;
      agentTurns.set(eventId, item);
    }
    ui.transcript.append(item);
    item.scrollIntoView({ block: "nearest" });
    return item;
  }

  function mark(item, text, css) {
    if (item && !item.querySelector(`.${css}`)) item.querySelector(".turn-text").append(" ", tag(text, css));
  }

  function note(item, text) {
    const line = document.createElement("span");
    line.className = "turn-tool";
    line.textContent = text;
    item.append(line);
  }

  function setActivity(element, active) {
    element.classList.toggle("active", active);
  }

  // --- what the conversation starts with

  function parseFormat(format) {
    const match = /^(pcm|ulaw)_(\d+)$/.exec(format || "");
    return match ? { ulaw: match[1] === "ulaw", rate: Number(match[2]) } : { ulaw: false, rate: 16000 };
  }

  function readStubs() {
    const text = ui.stubs.value.trim();
    if (!text) return {};
    let parsed;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      throw new Error(`Client tool stubs: not valid JSON (${error.message}).`);
    }
    if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) {
      throw new Error('Client tool stubs: give an object of results by tool name, such as {"check_order": "shipped"}.');
    }
    return parsed;
  }

  // A field the tester got wrong: the error says which, and the field is shown and focused.
  class FieldError extends Error {
    constructor(message, field) {
      super(message);
      this.field = field;
    }
  }

  function readVariables() {
    const variables = {};
    for (const row of root.querySelectorAll("[data-console-options] [data-console-variable]")) {
      const nameField = row.querySelector("[data-variable-name]");
      const valueField = row.querySelector("[data-variable-value]");
      const name = nameField.value.trim();
      if (!name) continue;
      if (Object.prototype.hasOwnProperty.call(variables, name)) {
        throw new FieldError(`Dynamic variable ${name} is given twice; keep one.`, nameField);
      }
      if (name.startsWith("system__")) {
        throw new FieldError(`Dynamic variable ${name}: ElevenLabs sets system__ variables itself.`, nameField);
      }
      variables[name] = typedValue(name, valueField, row.dataset.kind);
    }
    return variables;
  }

  // The value as its placeholder's type: ElevenLabs keeps a variable's JSON type.
  function typedValue(name, field, kind) {
    const text = field.value.trim();
    if (kind === "number") {
      const number = Number(text);
      if (text === "" || !Number.isFinite(number)) throw new FieldError(`Dynamic variable ${name}: give a number.`, field);
      return number;
    }
    if (kind === "boolean") {
      if (!/^(true|false)$/i.test(text)) throw new FieldError(`Dynamic variable ${name}: give true or false.`, field);
      return text.toLowerCase() === "true";
    }
    return field.value;
  }

  // Only the fields changed from the config's own value: an override equal to the config
  // would change nothing, and an emptied field means "not overridden" except where empty is
  // a value (a first message left empty: the agent waits for the caller).
  function readOverrides() {
    const override = {};
    for (const field of root.querySelectorAll("[data-console-options] [data-override]")) {
      let value;
      if (field.type === "checkbox") {
        if (field.checked === field.defaultChecked) continue;
        value = field.checked;
      } else {
        if (field.value === field.defaultValue) continue;
        if (field.value.trim() === "" && !("overrideEmptyIsAValue" in field.dataset)) continue;
        value = field.value;
      }
      const path = field.dataset.override.split(".");
      let node = override;
      for (const key of path.slice(0, -1)) node = node[key] = node[key] || {};
      node[path[path.length - 1]] = value;
    }
    return override;
  }

  // conversation_initiation_client_data, as shared/elevenlabs/agent.asyncapi.yaml defines it.
  function readInitiation() {
    const message = { type: "conversation_initiation_client_data" };
    const variables = readVariables();
    if (Object.keys(variables).length) message.dynamic_variables = variables;
    const override = readOverrides();
    if (Object.keys(override).length) message.conversation_config_override = override;
    return message;
  }

  function addVariable() {
    const template = root.querySelector("[data-console-options] [data-console-variable-template]");
    const row = template.content.firstElementChild.cloneNode(true);
    root.querySelector("[data-console-options] [data-console-variables]").append(row);
    row.querySelector("[data-variable-name]").focus();
  }

  // --- the conversation

  async function start() {
    showError("");
    let initiation;
    try {
      stubs = readStubs();
      initiation = readInitiation();
    } catch (error) {
      const field = error instanceof FieldError ? error.field : ui.stubs;
      showError(error.message);
      field.closest("details").open = true;
      field.focus();
      return;
    }
    // A conversation overridden to text only has no use for the microphone.
    const textOnly = ((initiation.conversation_config_override || {}).conversation || {}).text_only === true;
    useMic = ui.useMic.checked && !textOnly;
    ui.transcript.replaceChildren();
    const finished = document.getElementById("console-finished");
    finished.replaceChildren();
    agentTurns.clear();
    tentative = lastAgentTurn = null;
    conversationId = null;
    interruptedUpTo = 0;
    startedAt = 0;
    ui.clock.textContent = "0:00";
    setState("Connecting…", "connecting");
    // Made on the click: browsers only let a page play sound it was asked to.
    if (!audio) audio = new AudioContext();
    await audio.resume();
    const scheme = window.location.protocol === "https:" ? "wss:" : "ws:";
    const url = `${scheme}//${window.location.host}${root.dataset.socketPath}?${ui.target.value}`;
    socket = new WebSocket(url, ["convai"]);
    socket.addEventListener("open", () => send(initiation));
    socket.addEventListener("message", (event) => {
      let message;
      try {
        message = JSON.parse(event.data);
      } catch {
        return;
      }
      handle(message);
    });
    socket.addEventListener("close", ended);
  }

  function send(message) {
    if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(message));
  }

  function end() {
    if (socket && socket.readyState <= WebSocket.OPEN) socket.close(1000, "The tester ended the conversation.");
  }

  function ended(event) {
    socket = null;
    clearInterval(clockTimer);
    stopMic();
    stopPlayback();
    setActivity(ui.userActivity, false);
    if (tentative) tentative.classList.remove("turn-tentative");
    if (event.code === 1000) setState("Ended", "ended");
    else if (event.code === 1008) setState("Refused", "ended");
    else setState(`Connection lost (code ${event.code})`, "ended");
    if (!conversationId) {
      if (!ui.error.textContent) showError("The conversation could not start. Reload the page and try again.");
      return;
    }
    const url = `${root.dataset.finishedUrl}?conversation=${encodeURIComponent(conversationId)}`;
    window.htmx.ajax("GET", url, { target: "#console-finished", swap: "outerHTML" });
  }

  const handlers = {
    conversation_initiation_metadata(message) {
      const metadata = message.conversation_initiation_metadata_event || {};
      conversationId = metadata.conversation_id;
      input = parseFormat(metadata.user_input_audio_format);
      output = parseFormat(metadata.agent_output_audio_format);
      startedAt = Date.now();
      clockTimer = setInterval(() => { ui.clock.textContent = clockText(elapsed()); }, 500);
      setState("Connected", "connected");
      if (useMic) startMic();
      ui.message.focus();
    },
    tentative_user_transcript(message) {
      const text = (message.tentative_user_transcription_event || {}).user_transcript || "";
      if (tentative) tentative.querySelector(".turn-text").textContent = text;
      else tentative = addTurn("user", text, { isTentative: true });
    },
    user_transcript(message) {
      const text = (message.user_transcription_event || {}).user_transcript || "";
      if (tentative) {
        tentative.querySelector(".turn-text").textContent = text;
        tentative.classList.remove("turn-tentative");
        tentative = null;
      } else {
        addTurn("user", text);
      }
    },
    agent_response(message) {
      const event = message.agent_response_event || {};
      lastAgentTurn = addTurn("agent", event.agent_response || "", { eventId: event.event_id });
    },
    agent_response_correction(message) {
      const event = message.agent_response_correction_event || {};
      const item = agentTurns.get(event.event_id);
      if (!item) return;
      const text = item.querySelector(".turn-text");
      const marks = [...text.querySelectorAll(".tag")];
      text.textContent = event.corrected_agent_response || "";
      text.append(...marks.flatMap((element) => [" ", element]));
      mark(item, "corrected", "tag-corrected");
    },
    interruption(message) {
      const eventId = (message.interruption_event || {}).event_id;
      interruptedUpTo = Math.max(interruptedUpTo, eventId || 0);
      mark(agentTurns.get(eventId), "interrupted", "tag-warn");
      stopPlayback();
    },
    audio(message) {
      const event = message.audio_event || {};
      if (event.event_id && event.event_id <= interruptedUpTo) return;
      if (event.audio_base_64) play(event.audio_base_64);
    },
    client_tool_call(message) {
      const call = message.client_tool_call || {};
      const stubbed = Object.prototype.hasOwnProperty.call(stubs, call.tool_name);
      const value = stubbed ? stubs[call.tool_name] : null;
      const result = stubbed
        ? (typeof value === "string" ? value : JSON.stringify(value))
        : `The client tool ${call.tool_name} is not available in test.`;
      send({ type: "client_tool_result", tool_call_id: call.tool_call_id, result, is_error: !stubbed });
      const item = lastAgentTurn || addTurn("agent", "");
      const parameters = JSON.stringify(call.parameters || {});
      note(item, `Called tool ${call.tool_name} with ${parameters}: ${stubbed ? `stub answered ${result}` : "not available in test (answered as an error)"}`);
    },
    ping(message) {
      const eventId = (message.ping_event || {}).event_id;
      if (eventId !== undefined) send({ type: "pong", event_id: eventId });
    },
    vad_score(message) {
      setActivity(ui.userActivity, ((message.vad_score_event || {}).vad_score || 0) > 0.5);
    },
    error(message) {
      const error = message.error_event || {};
      showError(error.message || error.reason || "ElevenLabs reported an error.");
    },
  };

  function handle(message) {
    const handler = message && handlers[message.type];
    if (handler) handler(message);
  }

  // --- the agent's voice

  function fromBase64(text) {
    const binary = atob(text);
    const bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i += 1) bytes[i] = binary.charCodeAt(i);
    return bytes;
  }

  function toBase64(bytes) {
    let binary = "";
    for (let i = 0; i < bytes.length; i += 0x8000) {
      binary += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
    }
    return btoa(binary);
  }

  function ulawToLinear(byte) {
    const inverted = ~byte & 0xff;
    const exponent = (inverted >> 4) & 0x07;
    const magnitude = ((((inverted & 0x0f) << 3) + 0x84) << exponent) - 0x84;
    return inverted & 0x80 ? -magnitude : magnitude;
  }

  function linearToUlaw(sample) {
    const sign = sample < 0 ? 0x80 : 0;
    const magnitude = Math.min(Math.abs(sample), 32635) + 0x84;
    const exponent = Math.floor(Math.log2(magnitude)) - 7;
    const mantissa = (magnitude >> (exponent + 3)) & 0x0f;
    return ~(sign | (exponent << 4) | mantissa) & 0xff;
  }

  function play(base64) {
    const bytes = fromBase64(base64);
    const count = output.ulaw ? bytes.length : bytes.length >> 1;
    if (!count || !audio) return;
    const samples = new Float32Array(count);
    const view = new DataView(bytes.buffer);
    for (let i = 0; i < count; i += 1) {
      samples[i] = (output.ulaw ? ulawToLinear(bytes[i]) : view.getInt16(i * 2, true)) / 32768;
    }
    const buffer = audio.createBuffer(1, count, output.rate);
    buffer.copyToChannel(samples, 0);
    const source = audio.createBufferSource();
    source.buffer = buffer;
    source.connect(audio.destination);
    const at = Math.max(audio.currentTime + 0.05, playhead);
    source.start(at);
    playhead = at + buffer.duration;
    playing.add(source);
    setActivity(ui.agentActivity, true);
    source.addEventListener("ended", () => {
      playing.delete(source);
      setActivity(ui.agentActivity, playing.size > 0);
    });
  }

  function stopPlayback() {
    for (const source of playing) {
      try {
        source.stop();
      } catch {
        // not started yet, or ended already
      }
    }
    playing.clear();
    playhead = 0;
    setActivity(ui.agentActivity, false);
  }

  // --- the user's voice

  async function startMic() {
    if (!navigator.mediaDevices || !window.AudioWorkletNode || !audio.audioWorklet) {
      showError("The microphone is not available here (it needs HTTPS, or localhost); type instead.");
      return;
    }
    try {
      const stream = await navigator.mediaDevices.getUserMedia({
        audio: { echoCancellation: true, noiseSuppression: true, autoGainControl: true, channelCount: 1 },
      });
      await audio.audioWorklet.addModule(root.dataset.workletUrl);
      if (!socket) {
        stream.getTracks().forEach((track) => track.stop());
        return; // ended while the browser asked
      }
      const source = audio.createMediaStreamSource(stream);
      const node = new AudioWorkletNode(audio, "mic-chunker", {
        processorOptions: { targetRate: input.rate, chunkMs: CHUNK_MS },
      });
      node.port.onmessage = (event) => heard(event.data);
      source.connect(node);
      node.connect(audio.destination); // silent: keeps the worklet running
      mic = { stream, source, node };
      muted = false;
      ui.mute.setAttribute("aria-pressed", "false");
      ui.mute.textContent = "Mute microphone";
      setState("Connected, listening", "connected");
    } catch (error) {
      showError(`The microphone could not be opened (${error.message || error.name}); type instead.`);
    }
  }

  function heard({ pcm, peak }) {
    setActivity(ui.userActivity, !muted && peak >= SPEECH_PEAK);
    let samples = new Int16Array(pcm);
    if (muted) samples = new Int16Array(samples.length); // silence, so the turn still ends
    let bytes;
    if (input.ulaw) {
      bytes = new Uint8Array(samples.length);
      for (let i = 0; i < samples.length; i += 1) bytes[i] = linearToUlaw(samples[i]);
    } else {
      bytes = new Uint8Array(samples.buffer); // little-endian on every platform browsers run on
    }
    send({ user_audio_chunk: toBase64(bytes) });
  }

  function stopMic() {
    if (!mic) return;
    mic.node.port.onmessage = null;
    mic.source.disconnect();
    mic.node.disconnect();
    mic.stream.getTracks().forEach((track) => track.stop());
    mic = null;
  }

  // --- controls

  ui.start.addEventListener("click", start);
  // Delegated: the options are swapped for the version chosen (htmx).
  root.addEventListener("click", (event) => {
    if (event.target.closest("[data-console-add-variable]")) addVariable();
  });
  ui.end.addEventListener("click", end);
  ui.compose.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = ui.message.value.trim();
    if (!text || !socket) return;
    send({ type: "user_message", text });
    addTurn("user", text);
    ui.message.value = "";
  });
  ui.message.addEventListener("input", () => send({ type: "user_activity" }));
  ui.mute.addEventListener("click", () => {
    muted = !muted;
    ui.mute.setAttribute("aria-pressed", String(muted));
    ui.mute.textContent = muted ? "Unmute microphone" : "Mute microphone";
    setState(muted ? "Connected, microphone muted" : "Connected, listening", "connected");
  });
  window.addEventListener("pagehide", end);
  setState("Not started", "idle");
})();
