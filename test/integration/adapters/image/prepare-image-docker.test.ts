import { describe } from "vitest";
import { describePrepareImage } from "./prepare-image.suite.js";

describe("prepareImage on docker", () => describePrepareImage("docker"));
