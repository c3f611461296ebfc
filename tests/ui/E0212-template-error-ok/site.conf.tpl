listen ${port};
server_name ${site.host};
%{ if site.tls }ssl on;%{ else }# plain%{ endif }
%{~ for n in names ~}
alias ${n};
%{~ endfor ~}
%{ for k, v in headers }${k}: ${v}
%{ endfor }
set $x $${y} %%{z};
