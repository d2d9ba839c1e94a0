export interface NetworkSpec {
  name: string;
  /** No route out of the network: containers on it reach each other and nothing else. */
  internal?: boolean;
  labels?: Readonly<Record<string, string>>;
}

export interface NetworkInfo {
  id: string;
  name: string;
  internal: boolean;
  labels: Readonly<Record<string, string>>;
}

export interface VolumeSpec {
  name: string;
  labels?: Readonly<Record<string, string>>;
}

export interface VolumeInfo {
  name: string;
  labels: Readonly<Record<string, string>>;
}
