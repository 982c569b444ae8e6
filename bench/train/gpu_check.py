"""The steps of bench/train/gpu-check.sh; prints one JSON line last. See that script for what it checks."""

import argparse
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request

import torch

from compare_sft import trajectories

STEP_TIMEOUT_S = 1800


def runner(args, work, name, timeout=STEP_TIMEOUT_S):
    """Runs `python -m rollout_trainer ARGS`; returns its events (stderr goes to WORK/NAME.log)."""
    with open(os.path.join(work, f"{name}.log"), "w") as log:
        completed = subprocess.run(
            [sys.executable, "-m", "rollout_trainer", *args], stdout=subprocess.PIPE, stderr=log, text=True, timeout=timeout
        )
    events = [json.loads(line) for line in completed.stdout.splitlines() if line.startswith("{")]
    return completed.returncode, events


def summary(code, events):
    """What a training step reports: outcome, placement, launch, last progress."""
    last = events[-1] if events else {}
    progress = [event for event in events if event["event"] == "progress"]
    found = {"ok": code == 0 and last.get("event") == "done", "exit": code}
    for name in ("placement", "launch"):
        event = next((event for event in events if event["event"] == name), None)
        if event:
            found[name] = {key: value for key, value in event.items() if key != "event"}
    if progress:
        found.update(steps=progress[-1]["step"], first_loss=progress[0]["loss"], last_loss=progress[-1]["loss"],
                     tokens_per_s=progress[-1]["tokens_per_s"])
    if last.get("event") == "error":
        found["error"] = f"{last['kind']}: {last['message']}"
    return found


def write_jsonl(path, rows):
    with open(path, "w") as handle:
        for row in rows:
            handle.write(json.dumps(row) + "\n")
    return path


def datasets(work):
    sft = trajectories(64, seed=1)
    dpo, rl = [], []
    for index, row in enumerate(sft):
        prompt, answer = row["messages"][:2], row["messages"][2:]
        dpo.append({"prompt": prompt, "chosen": answer[:1], "rejected": [{"role": "assistant", "content": "I cannot help."}], "tools": row["tools"]})
        for response, advantage in ((answer[0], 1.0), ({"role": "assistant", "content": "I cannot help."}, -1.0)):
            rl.append({"prompt": prompt, "response": response, "tools": row["tools"], "advantage": advantage, "return": advantage,
                       "metadata": {"task_id": f"t{index % 8}"}})
    return (write_jsonl(os.path.join(work, "sft.jsonl"), sft), write_jsonl(os.path.join(work, "dpo.jsonl"), dpo),
            write_jsonl(os.path.join(work, "rl.jsonl"), rl))


def serve_with_vllm(model_dir, work):
    log = open(os.path.join(work, "vllm.log"), "w")
    server = subprocess.Popen([sys.executable, "-m", "rollout_trainer", "serve", "--model", model_dir, "--engine", "vllm", "--name", "ft"],
                              stdout=subprocess.PIPE, stderr=log, text=True)
    try:
        line = server.stdout.readline()
        serving = json.loads(line) if line.startswith("{") else {}
        if serving.get("event") != "serving":
            return {"ok": False, "error": serving.get("message", line.strip() or "no serving line")}
        body = {"model": "ft", "messages": [{"role": "user", "content": "List the files."}], "max_tokens": 32, "temperature": 0}
        request = urllib.request.Request(serving["url"] + "/chat/completions", data=json.dumps(body).encode(),
                                         headers={"Content-Type": "application/json"})
        started = time.monotonic()
        with urllib.request.urlopen(request, timeout=300) as response:
            completion = json.load(response)
        return {"ok": True, "engine": serving.get("engine"), "policy": serving["policy"], "latency_s": round(time.monotonic() - started, 3),
                "completion_tokens": completion["usage"]["completion_tokens"]}
    except Exception as error:  # recorded in the JSON line; the other steps still count
        return {"ok": False, "error": f"{type(error).__name__}: {error}"}
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=120)
        except subprocess.TimeoutExpired:
            server.kill()


def bench(root, model, work):
    with open(os.path.join(work, "bench.log"), "w") as log:
        completed = subprocess.run(["node", os.path.join(root, "out", "bench", "train", "index.js"), "--gpu", "--model", model],
                                   stdout=subprocess.PIPE, stderr=log, text=True, timeout=STEP_TIMEOUT_S)
    lines = [line for line in completed.stdout.splitlines() if line.startswith("{")]
    return json.loads(lines[-1]) if lines else {"ok": False, "error": f"exit {completed.returncode}, see bench.log"}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", required=True)
    parser.add_argument("--work", required=True)
    parser.add_argument("--root", required=True)
    options = parser.parse_args()
    work = options.work
    sft_data, dpo_data, rl_data = datasets(work)
    common = ["--base-model", options.model, "--device", "cuda", "--max-steps", "20", "--save-steps", "1000", "--batch-size", "4"]
    gpus = torch.cuda.device_count()
    result = {"gpu_check": "done", "gpus": gpus, "gpu": torch.cuda.get_device_name(0), "model": options.model, "torch": torch.__version__}
    result["sft_padding_free"] = summary(*runner(["sft", "--data", sft_data, "--out", os.path.join(work, "sft"), "--padding-free", "on",
                                                  "--distributed", "off", *common], work, "sft"))
    result["sft_ddp"] = (summary(*runner(["sft", "--data", sft_data, "--out", os.path.join(work, "sft-ddp"), "--padding-free", "on", *common],
                                         work, "sft-ddp")) if gpus >= 2 else None)
    result["dpo"] = summary(*runner(["dpo", "--data", dpo_data, "--out", os.path.join(work, "dpo"), "--distributed", "off", *common], work, "dpo"))
    result["pg"] = summary(*runner(["pg", "--data", rl_data, "--out", os.path.join(work, "pg"), "--distributed", "off", *common], work, "pg"))
    result["vllm_serve"] = serve_with_vllm(os.path.join(work, "sft"), work) if result["sft_padding_free"]["ok"] else None
    result["bench"] = bench(options.root, options.model, work)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
