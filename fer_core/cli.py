"""`python -m fer_core …`: the same functions the app calls. Bad input gets one clear line on stderr and a
non-zero exit, never a traceback."""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
from pathlib import Path

from . import settings
from .data.fer2013 import SPLITS
from .errors import FERError, StillImageNotVideo, VideoError
from .progress_bar import ProgressBar
from .shipped_models import SHIPPED_MODEL

EXIT_USER_ERROR = 2


def program_name() -> str:
    """How this command was started, to quote in a sentence: `fer-studio` (the installed command) or
    `python -m fer_core`."""
    return "fer-studio" if Path(sys.argv[0]).name == "fer-studio" else "python -m fer_core"


def _print_json(data) -> None:
    print(json.dumps(data, indent=2))


def command_data(args) -> int:
    from .data.dataset import load_fer2013

    dataset = load_fer2013(args.path, skip_bad_rows=args.skip_bad_rows, max_load_mb=settings.max_load_mb())
    counts = dataset.counts_by_split()
    if args.json:
        _print_json({"rows": len(dataset), "counts": {k: v.tolist() for k, v in counts.items()},
                     "class_names": list(dataset.class_names), "notes": list(dataset.notes),
                     "skipped_rows": len(dataset.skipped_rows),
                     "photos_without_face": len(dataset.photos_without_face)})
        return 0
    print(f"{dataset.source}: {len(dataset):,} faces in {dataset.num_classes} classes")
    name_width = max(8, *(len(name) for name in dataset.class_names))
    number_width = len(str(dataset.num_classes - 1)) + 1
    print(f"{'class':<{number_width + name_width}}" + "".join(f"{s:>12}" for s in SPLITS))
    for i, name in enumerate(dataset.class_names):
        print(f"{i:<{number_width}}{name:<{name_width}}" + "".join(f"{counts[s][i]:>12,}" for s in SPLITS))
    print(f"{'total':<{number_width + name_width}}" + "".join(f"{counts[s].sum():>12,}" for s in SPLITS))
    train = counts["train"]
    if train.min() > 0:
        print(f"imbalance (largest/smallest training class): {train.max() / train.min():.1f}×")
    for note in dataset.notes:
        print(f"note: {note}")
    if dataset.skipped_rows:
        print(f"skipped {len(dataset.skipped_rows)} bad rows, first: {dataset.skipped_rows[0]}")
    return 0


def command_train(args) -> int:
    from .training.config import TrainingConfig
    from .training.devices import parse_devices
    from .training.jobs import acquire_job_lock
    from .training.runs import TrainingRun

    if args.resume:
        run_dir = Path(args.resume)
        runs_dir = run_dir.parent
    elif args.run_dir:
        run_dir = Path(args.run_dir)
        runs_dir = run_dir.parent
    else:
        if not args.data:
            raise FERError("Say which data to train on: --data PATH.")
        run_dir, runs_dir = None, Path(args.out)
        config = TrainingConfig(data=args.data, arch=args.arch, epochs=args.epochs, batch_size=args.batch_size,
                                learning_rate=args.learning_rate, weight_decay=args.weight_decay,
                                warmup=not args.no_warmup,
                                balance=args.balance, augment=not args.no_augment,
                                random_erasing=args.random_erasing, seed=args.seed,
                                skip_bad_rows=args.skip_bad_rows, precision=args.precision, init_from=args.init_from,
                                distill_from=None if args.no_distill else args.distill_from,
                                transfer="off" if args.from_scratch else args.transfer,
                                transfer_base=args.transfer_base,
                                devices=args.devices or TrainingConfig.devices).check()
    # A job started by the app hands its lock down; one started here takes it.
    lock_fd = settings.inherited_job_lock()
    if lock_fd is None:
        lock_fd = acquire_job_lock(runs_dir)
    verbose = 0 if args.quiet else 1  # a bar over the job on a terminal, a line per epoch in a log
    from .training import recipe  # imports TensorFlow: only now that the arguments are known to be good

    command = f"{program_name()} " + " ".join(sys.argv[1:])
    if args.resume:
        run = recipe.resume(run_dir, verbose=verbose, devices=args.devices and parse_devices(args.devices))
    elif args.run_dir:
        run = TrainingRun(run_dir)
        run = recipe.train(TrainingConfig.from_dict(run.config), run=run, verbose=verbose,
                             command=run.status_record.get("command", command))
    else:
        run = recipe.train(config, runs_dir=runs_dir, verbose=verbose, command=command)
    os.close(lock_fd)
    print(f"{run.status}: {run.message}")
    print(f"run folder: {run.path}")
    return 0


def command_calibrate(args) -> int:
    from .training.calibration import time_training, time_transfer
    from .training.config import cpu_description, resolve_precision

    if args.transfer:
        timed = time_transfer(args.transfer_base, args.batch_size, args.transfer == "head_and_last_block")
        if args.json:
            _print_json({"transfer": args.transfer, "transfer_base": args.transfer_base, "batch_size": args.batch_size,
                         "precision": "float32", **timed, "cpu": cpu_description()})
            return 0
        print(f"A new head ({args.transfer}) on {Path(args.transfer_base).stem} trains at "
              f"{timed['seconds_per_batch']:.4f} s per batch of {args.batch_size}; its frozen layers take "
              f"{timed['forward_seconds_per_face'] * 1000:.2f} ms per face on this machine ({cpu_description()}).")
        return 0
    timed = time_training(args.arch, args.batch_size, args.precision, teacher=args.teacher)
    seconds = timed["seconds_per_batch"]
    precision = resolve_precision(args.precision)
    if args.json:
        _print_json({"arch": args.arch, "batch_size": args.batch_size, "precision": precision, **timed,
                     "cpu": cpu_description()})
        return 0
    print(f"{args.arch} trains at {seconds:.4f} s per batch of {args.batch_size} faces in {precision} on this "
          f"machine ({cpu_description()}).")
    return 0


def command_evaluate(args) -> int:
    from .data.dataset import load_fer2013
    from .prediction.face_classifier import FaceClassifier
    from .training.evaluation import evaluate_probabilities, faces_digest

    classifier = FaceClassifier(args.model)
    dataset = load_fer2013(args.data, skip_bad_rows=args.skip_bad_rows)
    part = dataset.split(args.split)
    if len(part) == 0:
        raise FERError(f"The {args.split} split of {args.data} is empty.")
    with ProgressBar("face", quiet=args.quiet or args.json, description="scoring") as bar:
        probabilities = classifier.predict_proba(part.images, progress=bar.update)
    report = evaluate_probabilities(part.labels, probabilities, classifier.info.class_names)
    report.update(split=args.split, split_notes=list(dataset.splits.notes), model=str(args.model), data=str(args.data),
                  faces_sha1=faces_digest(part.images, part.labels))  # two reports compare when these match
    if args.json:
        _print_json(report)
        return 0
    print(f"{args.model} on the {args.split} split of {args.data} ({report['n']:,} faces)")
    for note in dataset.splits.notes:
        print(f"note: {note}")
    print(f"accuracy {report['accuracy']:.2%}   top-3 accuracy {report['top3_accuracy']:.2%}   macro F1 {report['macro_f1']:.3f}")
    print(f"{'class':<10}{'precision':>10}{'recall':>10}{'f1':>10}{'support':>10}")
    for name, row in report["per_class"].items():
        print(f"{name:<10}{row['precision']:>10.3f}{row['recall']:>10.3f}{row['f1']:>10.3f}{row['support']:>10}")
    print("confusion matrix (rows: true, columns: predicted)")
    for name, row in zip(report["class_names"], report["confusion_matrix"]):
        print(f"{name:<10}" + "".join(f"{v:>7}" for v in row))
    return 0


def command_predict(args) -> int:
    from .batch.inputs import find_photos

    if args.table:
        return _batch_table(args, "photo")
    from .prediction.predictor import Predictor

    files = list(find_photos(args.images, args.glob, args.from_list))
    predictor = Predictor(args.model)
    results, failures = [], 0
    with ProgressBar("photo", quiet=args.quiet or len(files) < 2) as bar:
        for done, image in enumerate(files):
            bar.update(done, len(files))
            try:
                result = predictor.predict(image, top_k=args.top, whole_image_if_no_face=args.whole_image)
                results.append({"image": str(image), **result.to_dict()})
            except FERError as exc:
                failures += 1
                results.append({"image": str(image), "error": str(exc)})
                print(f"error: {image}: {exc}", file=sys.stderr)
        bar.update(len(files), len(files))
    _print_json(results)
    return EXIT_USER_ERROR if failures else 0


def _batch_table(args, kind: str) -> int:
    """predict or video with --table: every file's rows streamed to one table, over both cores, resumable."""
    from . import batch

    def say_error(file: str, sentence: str) -> None:
        print(f"error: {file}: {sentence}", file=sys.stderr)

    common = dict(model=args.model, out=args.table, format=args.format, pattern=args.glob, lists=args.from_list,
                  resume=args.resume, workers=args.workers, top_k=args.top, on_error=say_error, cluster=args.cluster)
    unit = "photo" if kind == "photo" else "clip"
    with ProgressBar(unit, quiet=args.quiet) as bar:
        if kind == "photo":
            report = batch.photo_batch(args.images, whole_image_if_no_face=args.whole_image,
                                       progress=bar.update, **common)
        else:
            report = batch.clip_batch(args.clips, fps=args.fps, max_seconds=args.max_seconds,
                                      progress=bar.update, **common)
    print(report.sentence(), file=sys.stderr)
    return EXIT_USER_ERROR if report.failed else 0


def command_video(args) -> int:
    from .batch.inputs import find_clips
    from .prediction.predictor import Predictor
    from .prediction.video_analysis import analyse_video
    from .prediction.video_clips import clock, frame_rate_text

    if args.table:
        if args.json or args.csv:
            raise FERError("--json and --csv print one clip's analysis; with --table every row goes to the table.")
        if args.out:
            raise FERError("--out writes one clip's annotated MP4: leave it out with --table, or analyse that clip on "
                           "its own.")
        return _batch_table(args, "clip")
    clips = list(find_clips(args.clips, args.glob, args.from_list))
    if not clips:
        raise FERError(f"No clip was found in {', '.join(args.clips + args.from_list)} (.mp4, .webm, .mov, .avi, "
                       ".gif, .mkv or .m4v; --glob chooses others).")
    if len(clips) > 1:
        raise FERError(f"That names {len(clips):,} clips: write their rows to one table with --table FILE.csv "
                       "(or .jsonl, .parquet), or give one clip.")
    clip = str(clips[0])
    _refuse_unless_regular(Path(clip), "clip")  # a pipe would leave the decoder waiting forever
    predictor = Predictor(args.model)
    bars = {}  # a bar for the analysis, then one for drawing the annotated clip

    def show(progress) -> None:
        phase = "drawing" if progress.drawing else "analysing"
        if phase not in bars:
            for earlier in bars.values():
                earlier.close()
            bars[phase] = ProgressBar("frame", quiet=args.quiet, description=phase)
        bars[phase].update(progress.frames_done, progress.frames_expected)

    try:
        analysis = analyse_video(clip, predictor, fps=args.fps, annotated_path=args.out, progress=show,
                                 max_seconds=args.max_seconds or settings.max_video_seconds())
    except StillImageNotVideo as error:  # the page's sentence points to the Predict page; here, the photo command
        raise VideoError(f"{error.name} is a still image, not a video: for photos, use "
                         f"{program_name()} predict {shlex.quote(clip)}") from error
    finally:
        for bar in bars.values():
            bar.close()
    for note in analysis.notes:
        print(f"note: {note}", file=sys.stderr)
    if args.out:
        drawn = analysis.annotated
        rate = f" at {frame_rate_text(drawn['frame_rate'])}" if drawn["frame_rate"] else ""
        sound = "with the clip's sound" if drawn["sound"] else "no sound: the clip has none"
        print(f"wrote {args.out} ({drawn['frames']:,} frames{rate}, {sound})", file=sys.stderr)
    if args.json:
        _print_json(analysis.to_dict())
    elif args.csv:
        sys.stdout.write(analysis.to_csv())
    else:
        print(f"{analysis.clip['name']}: {analysis.analysed_frames:,} frames analysed, {len(analysis.people)} "
              f"{'person' if len(analysis.people) == 1 else 'people'}")
        for summary in analysis.summaries():
            shares = ", ".join(f"{name} {share:.0%}" for name, share in
                               sorted(summary["share_of_time"].items(), key=lambda kv: -kv[1]) if share >= 0.005)
            print(f"person {summary['person']}: {summary['dominant_emotion']} (seen {clock(summary['first_seen'])}–"
                  f"{clock(summary['last_seen'])}, {summary['frames']:,} frames; {shares})")
    return 0


def _refuse_unless_regular(path: Path, kind: str) -> None:
    import stat

    try:
        mode = path.stat().st_mode
    except OSError:
        return  # missing or unreadable: the reader's own sentence says so
    if not stat.S_ISREG(mode):
        raise FERError(f"{path} is not a regular file (a device, a pipe or a socket), so it was not read as a {kind}.")


def command_sample(args) -> int:
    from .data.dataset import load_fer2013
    from .data.sampling import stratified_sample, write_sample

    if not 0 < args.fraction <= 1:
        raise FERError(f"The fraction must be above 0 and at most 1, not {args.fraction}.")
    sample = stratified_sample(load_fer2013(args.path, skip_bad_rows=args.skip_bad_rows), args.fraction, args.seed)
    path = write_sample(sample, args.out)
    print(f"wrote {len(sample):,} faces to {path} ({path.stat().st_size / 1e6:.1f} MB)")
    return 0


class _DefaultsHelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Says each setting's default, except where there is none to say (an unset path, a flag that is off)."""

    def _get_help_string(self, action):
        if action.default is None or action.default is False:
            return action.help
        return super()._get_help_string(action)


def build_parser() -> argparse.ArgumentParser:
    from .data.balance import BALANCE_METHODS
    from .training.architectures import ARCHITECTURES
    from .training.config import PRECISIONS, TrainingConfig
    from .training.transfer import TRANSFER_CHOICES

    defaults = TrainingConfig.defaults()  # the Train page and the benchmark start from the same

    parser = argparse.ArgumentParser(prog=program_name(), description="FER Studio: facial emotion recognition on FER2013.")
    sub = parser.add_subparsers(dest="command", required=True)

    data = sub.add_parser("data", help="counts per split and class")
    data.add_argument("path", help="FER2013 as .csv, .csv.gz, or a .zip, .tar, .tar.gz of it (told by its first bytes), "
                                   "or photos in class folders: a folder, a .zip or a tar")
    data.add_argument("--skip-bad-rows", action="store_true", help="drop rows that are not valid faces, and count them")
    data.add_argument("--json", action="store_true")
    data.set_defaults(run=command_data)

    train = sub.add_parser("train", help=f"train a model ({defaults.epochs} epochs of {defaults.arch} by default)",
                           formatter_class=_DefaultsHelpFormatter)
    train.add_argument("--data", metavar="PATH",
                       help="FER2013 (.csv, .csv.gz, a .zip or tar of it, or the image-folder release) or a folder "
                            "of your own photos, one folder per class")
    train.add_argument("--arch", default=defaults.arch, choices=list(ARCHITECTURES), help="the network")
    train.add_argument("--epochs", type=int, default=defaults.epochs, help="passes over the training split")
    train.add_argument("--batch-size", type=int, default=defaults.batch_size, help="faces per training step")
    train.add_argument("--learning-rate", "--lr", type=float, default=defaults.learning_rate,
                       help="the peak of the warm-up and cosine schedule")
    train.add_argument("--weight-decay", type=float, default=defaults.weight_decay, help="AdamW's; 0 is plain Adam")
    train.add_argument("--no-warmup", action="store_true",
                       help="start the cosine schedule at full rate, without the warm-up over the first 1/15 of the epochs")
    train.add_argument("--balance", default=defaults.balance, choices=list(BALANCE_METHODS),
                       help="oversample is the notebook's RandomOverSampler, on the training split only")
    train.add_argument("--no-augment", action="store_true",
                       help="train on the faces as they are, without random mirroring, shifts, rotations and zooms "
                            "(the model is then also served without its test-time views)")
    train.add_argument("--random-erasing", type=float, default=defaults.random_erasing, metavar="SHARE",
                       help="the share of augmented faces (0 to 1) that also get a rectangle of noise over part of "
                            "the face, as a hand or a scarf covers one")
    train.add_argument("--seed", type=int, default=defaults.seed,
                       help="seeds the initial weights, the order of the faces, augmentation and balancing: "
                            "the same seed and data give the same run")
    train.add_argument("--skip-bad-rows", action="store_true",
                       help="drop rows that are not valid faces, and count them, instead of stopping at the first")
    train.add_argument("--precision", default=defaults.precision, choices=PRECISIONS,
                       help="auto: bfloat16 maths where the CPU has AVX512-BF16 or AMX, else float32; "
                            "the model is saved as float32")
    train.add_argument("--distill-from", metavar="MODEL", default=defaults.distill_from,
                       help="a teacher model whose probabilities soften the training labels")
    train.add_argument("--no-distill", action="store_true", help="train on the labels alone, without a teacher")
    train.add_argument("--init-from", metavar="MODEL", help="start from this .keras model's weights (same architecture)")
    train.add_argument("--transfer", default=defaults.transfer, choices=list(TRANSFER_CHOICES),
                       help="start from a trained model's features and train a new head for this data's classes "
                            "(head), and also its last block (head_and_last_block); auto does it for data whose "
                            "classes are not FER2013's, off trains --arch from scratch")
    train.add_argument("--from-scratch", action="store_true", help="the same as --transfer off")
    train.add_argument("--transfer-base", metavar="MODEL", default=defaults.transfer_base,
                       help="the trained model whose features a transfer starts from")
    train.add_argument("--devices", metavar="all|N",
                       help="train data-parallel on all or N devices, Keras on JAX only (default: one device); "
                            "--batch-size is the global batch, split over them (docs/scale.md). With --resume: the "
                            "devices to go on with")
    train.add_argument("--out", default="runs", help="the runs folder; each run gets its own folder inside")
    train.add_argument("--resume", metavar="RUN_DIR", help="resume a stopped, crashed or killed run from its last checkpoint")
    train.add_argument("--run-dir", help=argparse.SUPPRESS)  # used by the app's job starter
    train.add_argument("--quiet", action="store_true", help="no progress bar or per-epoch lines on stderr")
    train.set_defaults(run=command_train)

    calibrate = sub.add_parser("calibrate", help="seconds per training batch of an architecture on this machine",
                               formatter_class=_DefaultsHelpFormatter)
    calibrate.add_argument("--arch", default=defaults.arch, choices=list(ARCHITECTURES), help="the network timed")
    calibrate.add_argument("--batch-size", type=int, default=defaults.batch_size, help="faces per training step")
    calibrate.add_argument("--precision", default=defaults.precision, choices=PRECISIONS,
                           help="as train's --precision")
    calibrate.add_argument("--transfer", choices=["head", "head_and_last_block"],
                           help="time a transfer job instead: its training batch and its frozen layers per face")
    calibrate.add_argument("--transfer-base", default=str(defaults.transfer_base),
                           help="the trained model a transfer job starts from (default: the shipped model)")
    calibrate.add_argument("--teacher", help="also time this teacher's pass per face (a job with --distill-from)")
    calibrate.add_argument("--json", action="store_true", help="the figure and what it was timed with, as JSON")
    calibrate.set_defaults(run=command_calibrate)

    evaluate = sub.add_parser("evaluate", help="accuracy, top-3, macro F1, per-class scores, confusion matrix")
    evaluate.add_argument("--model", default=str(SHIPPED_MODEL))
    evaluate.add_argument("--data", required=True)
    evaluate.add_argument("--split", default="test", choices=SPLITS)
    evaluate.add_argument("--skip-bad-rows", action="store_true")
    evaluate.add_argument("--json", action="store_true")
    evaluate.add_argument("--quiet", action="store_true", help="no progress bar on stderr")
    evaluate.set_defaults(run=command_evaluate)

    predict = sub.add_parser("predict", help="top-k emotions for every face in photos: JSON, or one table with --table")
    predict.add_argument("images", nargs="*", metavar="PHOTO_OR_FOLDER",
                         help="photos, and folders searched recursively for .jpg, .jpeg, .png, .bmp and .webp files")
    predict.add_argument("--model", default=str(SHIPPED_MODEL))
    predict.add_argument("--top", type=int, default=3)
    predict.add_argument("--whole-image", action="store_true", help="classify the whole image when no face is found")
    _batch_arguments(predict, "photos", "a row per face")
    predict.set_defaults(run=command_predict)

    video = sub.add_parser("video", help="every person's emotions over time in a clip (summary, --json or --csv), "
                                         "or in many clips as one table with --table")
    video.add_argument("clips", nargs="*", metavar="CLIP_OR_FOLDER",
                       help="a clip, or with --table clips and folders searched recursively for "
                            ".mp4, .webm, .mov, .avi, .gif, .mkv and .m4v files")
    video.add_argument("--model", default=str(SHIPPED_MODEL))
    video.add_argument("--fps", type=float, help="analyse this many frames a second (default: every frame)")
    video.add_argument("--out", help="also write the clip with numbered boxes and emotions as an H.264 MP4: every "
                                     "frame at the clip's rate, with its sound")
    video.add_argument("--max-seconds", type=float, help="refuse longer clips (default FER_MAX_VIDEO_SECONDS, 1800)")
    video.add_argument("--top", type=int, default=3, help="with --table: the top-k columns of each row")
    formats = video.add_mutually_exclusive_group()
    formats.add_argument("--json", action="store_true", help="every person's timeline and summary as JSON")
    formats.add_argument("--csv", action="store_true", help="one row per person per analysed frame")
    _batch_arguments(video, "clips", "a row per person per analysed frame")
    video.set_defaults(run=command_video)

    app = sub.add_parser("app", help="start the Streamlit app (options after it go to `streamlit run`, e.g. "
                                     "--server.port 8502)")
    app.set_defaults(run=command_app)

    sample = sub.add_parser("sample", help="write a stratified sample (the app's built-in data)")
    sample.add_argument("path")
    sample.add_argument("--fraction", type=float, default=0.1)
    sample.add_argument("--seed", type=int, default=0)
    sample.add_argument("--skip-bad-rows", action="store_true")
    sample.add_argument("--out", default="data/fer2013_sample.csv.gz")
    sample.set_defaults(run=command_sample)
    return parser


def _batch_arguments(parser: argparse.ArgumentParser, what: str, row: str) -> None:
    parser.add_argument("--from-list", action="append", default=[], metavar="FILE",
                        help=f"also read the {what} named in FILE, one path a line (repeatable)")
    parser.add_argument("--glob", metavar="PATTERN",
                        help="in folders, only files matching PATTERN (e.g. '*.png' or 'session1/*'), any suffix")
    parser.add_argument("--table", metavar="FILE",
                        help=f"write one table, {row}, with a per-file summary beside it (FILE.files.*): .csv, "
                             ".jsonl or .parquet (a folder of parts); the work is spread over --workers processes")
    parser.add_argument("--format", choices=["csv", "jsonl", "parquet"], help="the table's format, if not its suffix")
    parser.add_argument("--resume", action="store_true",
                        help="go on with an existing --table: files it holds are skipped, a file cut short is redone")
    parser.add_argument("--workers", type=int, help="processes for --table (default: one per CPU core)")
    parser.add_argument("--cluster", metavar="ADDRESS",
                        help="run --table's files on the workers of the Dask scheduler at ADDRESS (tcp://host:8786; "
                             "default FER_CLUSTER), which must see the files and the model at the same paths")
    parser.add_argument("--quiet", action="store_true", help="no progress bar on stderr")


def command_app(args) -> int:
    """`streamlit run` on the app's own script, with its .streamlit/config.toml settings as flags (Streamlit reads
    that file from the current folder, which for an installed package is not the app's)."""
    import tomllib

    from .shipped_files import shipped_path

    script = shipped_path("streamlit_app.py")
    if not script.exists():
        raise FERError(f"The app's pages are not installed with this copy of fer_core ({script} is missing).")
    config = script.parent / ".streamlit" / "config.toml"
    flags = []
    if config.exists() and not Path(".streamlit/config.toml").exists():
        for section, values in tomllib.loads(config.read_text(encoding="utf-8")).items():
            for key, value in values.items():
                flags += [f"--{section}.{key}", str(value).lower() if isinstance(value, bool) else str(value)]
    command = [sys.executable, "-m", "streamlit", "run", str(script), *flags, *args.streamlit_args]
    sys.stdout.flush()
    os.execv(sys.executable, command)  # Streamlit takes this process's place: Ctrl-C and SIGTERM reach it


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args, unknown = parser.parse_known_args(argv)
    if args.command == "app":
        args.streamlit_args = unknown  # Streamlit's own options, passed on as they are
    elif unknown:
        parser.error(f"unrecognized arguments: {' '.join(unknown)}")
    try:
        return args.run(args)
    except FERError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        print("interrupted: stopped by Ctrl-C (SIGINT) before the end; a training run resumes with "
              "`python -m fer_core train --resume RUN_FOLDER`.", file=sys.stderr)
        return 130
    except OSError as exc:  # the system refused a file or folder on the way (a permission, a full disk)
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"error: {where}{exc.strerror or exc}; FER Studio could not read or write it.", file=sys.stderr)
        return EXIT_USER_ERROR
    except MemoryError:
        print("error: out of memory; try a smaller batch size or a smaller data file.", file=sys.stderr)
        return 1
    except Exception as exc:  # a bug, not a user error: still one line, the traceback only when asked for
        if settings.debug():
            raise
        print(f"error: unexpected {type(exc).__name__}: {exc} (set FER_DEBUG=1 for the traceback)", file=sys.stderr)
        return 1
